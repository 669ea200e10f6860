"""Column profiling without I/O: accumulators fed a batch of typed values at a time.

A profiler reads a table once and feeds each column's values, batch by batch,
to a ``ColumnAccumulator``; ``result()`` then gives the column's
``connectors.models.ColumnProfile`` with OpenMetadata's metric names. Memory
grows with the number of columns and of distinct values, never with rows: a
column with more distinct values than ``max_distinct_values`` switches to a
``DistinctSketch`` (k minimum values) for its distinct and unique counts.

Numbers follow OpenMetadata's profiler: ``mean`` is the arithmetic mean,
``stddev`` the population standard deviation (divided by n, not n - 1).
Integers are summed exactly (Python ints), so their mean and stddev are exact
up to the final rounding; floats are summed with ``math.fsum`` and their
spread combined batch by batch with Chan's parallel update, the numerically
stable form of Welford's single-pass algorithm.

The pieces (``DistinctCounter``, ``NumberStats``, ``Extremes``) can also be
driven directly by a reader that has a faster way to find, say, a batch's
minimum (the CSV profiler compares ISO dates as text).
"""

from __future__ import annotations

import heapq
import itertools
import math
import operator
import random
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any, Callable, TypeVar

from connectors.models import ColumnProfile

__all__ = [
    "DEFAULT_MAX_DISTINCT_VALUES",
    "DEFAULT_SKETCH_SIZE",
    "ColumnAccumulator",
    "DistinctCounter",
    "DistinctSketch",
    "Extremes",
    "LengthStats",
    "NumberStats",
    "first_rows",
    "reservoir_sample",
    "sketch_hashes",
]

DEFAULT_MAX_DISTINCT_VALUES = 100_000  # exact counts up to here: about 10 MB per column of short text
DEFAULT_SKETCH_SIZE = 4096  # hashes kept by a sketch: a relative error of about 1/sqrt(4096) = 1.6%

# The kinds of column a ColumnAccumulator profiles, from the OpenMetadata data type.
NUMERIC_TYPES = frozenset({"INT", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT", "LONG", "FLOAT", "DOUBLE",
                           "DECIMAL", "NUMERIC", "NUMBER"})
TEMPORAL_TYPES = frozenset({"DATE", "DATETIME", "TIMESTAMP", "TIMESTAMPZ", "TIME"})
TEXT_TYPES = frozenset({"STRING", "TEXT", "VARCHAR", "CHAR", "MEDIUMTEXT", "CLOB", "JSON", "UUID"})

_TWO_63 = 2**63
_TWO_64 = 2**64

T = TypeVar("T")


# --- Distinct and unique values ---------------------------------------------


def sketch_hashes(keys: Sequence[Any]) -> list[int]:
    """64-bit hashes of one batch of keys of one type, for a sketch; computed in C (``map``).

    Ints and floats are hashed inside a 1-tuple: their own hash is their
    value (sequential ids would hash to sequential numbers), the tuple hash
    mixes the bits (an xxHash round), and both are the same in every process.
    Text uses Python's own string hash, the fastest there is: it is salted per
    process, so an estimate may differ by a fraction of its error between two
    runs over the same file (PYTHONHASHSEED=0 makes runs identical).
    """
    return list(_hashes(keys))


def _hashes(keys: Sequence[Any]) -> Iterator[int]:
    """``sketch_hashes`` as they come: a sketch keeps few of them, so most never need a list."""
    if not keys:
        return iter(())
    first = keys[0]
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return map(hash, zip(keys))
    return map(hash, keys if isinstance(first, str) else map(repr, keys))


class DistinctSketch:
    """The k smallest hashes seen, each with how often its value occurred (a KMV sketch).

    A hash enters the kept set on its value's first occurrence if it is among
    the k smallest so far, and once out it never comes back; so every hash in
    the final set has been kept since its value first appeared, and its count
    is exact. The k-th smallest hash estimates the number of distinct values
    (k - 1 over its position in [0, 1)), and the share of kept values seen once
    estimates the share of unique values.
    """

    def __init__(self, size: int = DEFAULT_SKETCH_SIZE) -> None:
        if size < 2:
            raise ValueError(f"a distinct sketch needs at least 2 hashes, got {size}")
        self.size = size
        self.counts: dict[int, int] = {}
        self._largest: list[int] = []  # the kept hashes, negated: a max-heap
        self.threshold = _TWO_63  # a hash at or above it cannot enter (every hash, until the set is full)

    @classmethod
    def from_counts(cls, hashes: Sequence[int], counts: Sequence[int], size: int) -> DistinctSketch:
        """A sketch of values already counted: their hashes, and how often each value occurred."""
        sketch = cls(size)
        kept = sketch.counts
        # heapq.nsmallest walks every pair in Python. The hashes are uniform, so the k + 1 smallest
        # almost surely lie below twice where the (k + 1)-th is expected: keep only those (a
        # comprehension, no tuple for the others), and look at every pair only when too few are below.
        guess = _TWO_64 * 2 * (size + 1) // max(len(hashes), 1) - _TWO_63
        pairs = [(hashed, count) for hashed, count in zip(hashes, counts) if hashed < guess]
        if len(pairs) <= size:
            pairs = list(zip(hashes, counts))
        for hashed, count in heapq.nsmallest(size + 1, pairs):
            kept[hashed] = kept.get(hashed, 0) + count  # two values, one hash: counted as one, as add() does
        if len(kept) > size:
            del kept[max(kept)]
            sketch.threshold = max(kept)
        sketch._largest = [-hashed for hashed in kept]
        heapq.heapify(sketch._largest)
        return sketch

    def add(self, hashes: Iterable[int], counts: Sequence[int] | None = None) -> None:
        """Count one occurrence of each hash, or ``counts[i]`` of the i-th."""
        weights: Iterable[int] = itertools.repeat(1) if counts is None else counts
        if not self.counts:  # the first batch: its k smallest, found in C
            hashes = hashes if isinstance(hashes, list) else list(hashes)
            merged = DistinctSketch.from_counts(hashes, list(itertools.islice(weights, len(hashes))), self.size)
            self.counts, self._largest, self.threshold = merged.counts, merged._largest, merged.threshold
            return
        kept = self.counts
        # Most hashes of a long column are above the threshold: filter() drops them in C.
        if counts is None:
            threshold = self.threshold
            survivors: Iterable[tuple[int, int]] = [(value, 1) for value in hashes if value < threshold]
        else:
            survivors = ((value, count) for value, count in zip(hashes, counts) if value < self.threshold)
        for value, count in survivors:
            if value in kept:
                kept[value] += count
            elif value < self.threshold:
                kept[value] = count
                heapq.heappush(self._largest, -value)
                if len(kept) > self.size:
                    del kept[-heapq.heappop(self._largest)]
                    self.threshold = -self._largest[0]

    @property
    def exact(self) -> bool:
        """True while fewer than k distinct hashes were seen: then the counts are exact."""
        return len(self.counts) < self.size or self.threshold == _TWO_63

    def distinct(self) -> int:
        if self.exact:
            return len(self.counts)
        position = (self.threshold + _TWO_63 + 1) / _TWO_64  # the k-th smallest hash, in (0, 1]
        return max(len(self.counts), round((self.size - 1) / position))

    def unique(self) -> int:
        once = sum(1 for count in self.counts.values() if count == 1)
        if self.exact:
            return once
        return round(self.distinct() * once / len(self.counts))


class DistinctCounter:
    """Distinct and unique (seen exactly once) values: exact up to a budget, then estimated.

    Up to ``max_distinct_values`` distinct keys it keeps a Counter (exact);
    one more and it moves every kept key into a ``DistinctSketch`` and drops
    the Counter, so memory stays at the budget whatever the column holds.
    The keys of one ``add()`` call must share one type (all ints, all text...).
    """

    def __init__(self, max_distinct_values: int = DEFAULT_MAX_DISTINCT_VALUES,
                 sketch_size: int = DEFAULT_SKETCH_SIZE) -> None:
        if max_distinct_values < 1:
            raise ValueError(f"max_distinct_values must be at least 1, got {max_distinct_values}")
        self.max_distinct_values = max_distinct_values
        self.sketch_size = sketch_size
        self.counts: Counter[Hashable] | None = Counter()
        self.sketch: DistinctSketch | None = None

    @property
    def estimated(self) -> bool:
        """True once the counts are estimates (the budget was exceeded)."""
        return self.sketch is not None

    def add(self, keys: Sequence[Hashable]) -> None:
        """Count one occurrence of each key."""
        if self.sketch is not None:
            self.sketch.add(_hashes(keys))
            return
        assert self.counts is not None
        self.counts.update(keys)  # Counter.update counts an iterable in C
        if len(self.counts) > self.max_distinct_values:
            self._switch()

    def add_counts(self, keys: Sequence[Hashable], counts: Sequence[int]) -> None:
        """Count each key ``counts[i]`` times (keys already counted elsewhere, e.g. as raw text)."""
        if self.sketch is None:
            assert self.counts is not None
            if len(self.counts) + len(keys) <= self.max_distinct_values:
                kept = self.counts
                for key, count in zip(keys, counts):
                    kept[key] += count
                return
            self._switch()  # too many for the budget, whatever repeats among them: estimate from here on
        assert self.sketch is not None
        self.sketch.add(sketch_hashes(keys), counts)

    def _switch(self) -> None:
        counts = self.counts
        assert counts is not None
        sketch = DistinctSketch(self.sketch_size)
        if len(set(map(type, counts))) == 1:  # the usual case: keys and counts in one C pass each
            sketch.add(sketch_hashes(list(counts)), list(counts.values()))
        else:  # keys of different types (numbers and misfit text): each type's keys are hashed together
            by_type: dict[type, list[Hashable]] = {}
            for key in counts:
                by_type.setdefault(type(key), []).append(key)
            for keys in by_type.values():
                sketch.add(sketch_hashes(keys), [counts[key] for key in keys])
        self.counts, self.sketch = None, sketch

    def distinct(self) -> int:
        if self.sketch is not None:
            return self.sketch.distinct()
        assert self.counts is not None
        return len(self.counts)

    def unique(self) -> int:
        if self.sketch is not None:
            return self.sketch.unique()
        assert self.counts is not None
        return sum(1 for count in self.counts.values() if count == 1)


# --- Numbers ----------------------------------------------------------------


class NumberStats:
    """Count, sum, min, max, mean and population stddev of numbers, one batch at a time.

    Ints are kept exactly (count, sum and sum of squares as Python ints).
    Floats keep (count, mean, root of the sum of squared deviations) per the
    batches seen, combined with Chan's update; the root (``math.hypot`` of the
    deviations) cannot overflow where the square would (values above 1e154).
    NaN and infinities are counted in ``non_finite`` and left out: JSON has no
    such numbers, and one of them would make every statistic meaningless.
    """

    def __init__(self) -> None:
        self.int_count = 0
        self.int_sum = 0
        self.int_squares = 0
        self.float_count = 0
        self.float_mean = 0.0
        self.float_root = 0.0  # sqrt of the sum of squared deviations from float_mean
        self.float_sum = 0.0
        self.float_sum_overflowed = False
        self.non_finite = 0
        self.minimum: float | None = None
        self.maximum: float | None = None

    @property
    def count(self) -> int:
        return self.int_count + self.float_count

    def add_ints(self, values: Sequence[int], counts: Sequence[int] | None = None,
                 extremes: tuple[int, int] | None = None) -> None:
        """Add a batch of ints (not bools), each once or ``counts[i]`` times.

        ``extremes``: the batch's (min, max) when the caller has already found them (a range check).
        """
        if not values:
            return
        if counts is None:
            self.int_count += len(values)
            self.int_sum += sum(values)
            self.int_squares += sum(map(operator.mul, values, values))
        else:
            self.int_count += sum(counts)
            self.int_sum += sum(map(operator.mul, values, counts))
            self.int_squares += sum(map(operator.mul, map(operator.mul, values, values), counts))
        self._extremes(*(extremes or (min(values), max(values))))

    def add_floats(self, values: Sequence[float], counts: Sequence[int] | None = None,
                   finite: bool = False, extremes: tuple[float, float] | None = None) -> None:
        """Add a batch of floats, each once or ``counts[i]`` times; NaN and infinities are counted apart.

        ``finite``: the caller has checked that every value is finite (the check is a pass of its own).
        ``extremes``: the batch's (min, max) when the caller has already found them (all finite).
        """
        if not finite and not all(map(math.isfinite, values)):
            kept = [index for index, value in enumerate(values) if math.isfinite(value)]
            weights = counts if counts is not None else [1] * len(values)
            self.non_finite += sum(weights) - sum(weights[index] for index in kept)
            values = [values[index] for index in kept]
            counts = None if counts is None else [counts[index] for index in kept]
        if not values:
            return
        count = len(values) if counts is None else sum(counts)
        if counts is None:
            try:
                total = math.fsum(values)
                mean = total / count
            except OverflowError:  # the sum leaves the float range; the mean does not
                total = math.inf
                mean = math.fsum(map(operator.truediv, values, itertools.repeat(count)))
        else:  # value * share cannot overflow where value * count can
            mean = math.fsum(map(operator.mul, values, [weight / count for weight in counts]))
            try:
                total = math.fsum(map(operator.mul, values, counts))
            except OverflowError:
                total = math.inf
        deviations = map(operator.sub, values, itertools.repeat(mean))
        if counts is not None:  # sqrt(sum(c * d^2)) is the hypot of the d * sqrt(c)
            deviations = map(operator.mul, deviations, map(math.sqrt, counts))
        self._add_float_group(count, mean, math.hypot(*deviations))
        if not self.float_sum_overflowed:
            try:
                self.float_sum = math.fsum((self.float_sum, total))
            except OverflowError:
                self.float_sum = math.inf
            self.float_sum_overflowed = not math.isfinite(self.float_sum)
        self._extremes(*(extremes or (min(values), max(values))))

    def _add_float_group(self, count: int, mean: float, root: float) -> None:
        """Chan et al.'s update: merge a group's (count, mean, spread) into the running one."""
        if self.float_count == 0:
            self.float_count, self.float_mean, self.float_root = count, mean, root
            return
        total = self.float_count + count
        delta = mean - self.float_mean
        self.float_mean += delta * count / total
        between = delta * math.sqrt(self.float_count * count / total)
        self.float_root = math.hypot(self.float_root, root, between)
        self.float_count = total

    def _extremes(self, low: float, high: float) -> None:
        if self.minimum is None or low < self.minimum:
            self.minimum = low
        if self.maximum is None or high > self.maximum:
            self.maximum = high

    def total(self) -> float | None:
        """The sum: exact for ints, None when it leaves the float range."""
        if self.count == 0:
            return None
        if self.float_count == 0:
            return self.int_sum
        total = self.int_sum + self.float_sum
        return total if math.isfinite(total) else None

    def mean(self) -> float | None:
        if self.count == 0:
            return None
        if self.float_count == 0:
            return self.int_sum / self.int_count  # int / int is correctly rounded
        # The sum (fsum: exact, then rounded) over the count is the best mean; Chan's running mean
        # only when the sum left the float range.
        float_mean = self.float_sum / self.float_count if not self.float_sum_overflowed else self.float_mean
        if self.int_count == 0:
            return float_mean
        return float_mean + (self.int_sum / self.int_count - float_mean) * self.int_count / self.count

    def stddev(self) -> float | None:
        """The population standard deviation (OpenMetadata's stddev)."""
        if self.count == 0:
            return None
        root = self.float_root
        if self.int_count:
            n, total = self.int_count, self.int_sum
            # n * sum(x^2) - sum(x)^2 is exact in ints; its root over sqrt(n) is the ints' own root.
            int_root = math.sqrt((n * self.int_squares - total * total) / n)
            if self.float_count == 0:
                root = int_root
            else:
                delta = total / n - self.float_mean
                between = delta * math.sqrt(n * self.float_count / self.count)
                root = math.hypot(int_root, root, between)
        deviation = root / math.sqrt(self.count)
        return deviation if math.isfinite(deviation) else None


# --- Order and length -------------------------------------------------------


class Extremes:
    """The least and greatest values seen, compared directly or through ``key``."""

    def __init__(self, key: Callable[[Any], Any] | None = None) -> None:
        self.key = key
        self.minimum: Any = None
        self.maximum: Any = None

    def add(self, values: Sequence[Any]) -> None:
        """A batch of comparable values."""
        if values:
            if self.key is None:
                self.add_extremes(min(values), max(values))
            else:
                self.add_extremes(min(values, key=self.key), max(values, key=self.key))

    def add_extremes(self, low: Any, high: Any) -> None:
        """A batch's least and greatest values, found by the caller."""
        key = self.key or _identity
        if self.minimum is None or key(low) < key(self.minimum):
            self.minimum = low
        if self.maximum is None or key(high) > key(self.maximum):
            self.maximum = high


def _identity(value: T) -> T:
    return value


class LengthStats:
    """The shortest and longest text seen, in characters (code points)."""

    def __init__(self) -> None:
        self.shortest: int | None = None
        self.longest: int | None = None

    def add(self, values: Sequence[str]) -> None:
        if values:
            lengths = list(map(len, values))
            low, high = min(lengths), max(lengths)
            if self.shortest is None or low < self.shortest:
                self.shortest = low
            if self.longest is None or high > self.longest:
                self.longest = high


# --- One column -------------------------------------------------------------


def _iso(value: Any) -> Any:
    """Dates, times and timestamps as ISO 8601 text; text stays as it is."""
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else value


class ColumnAccumulator:
    """Everything one column's profile needs, fed batch by batch.

    ``data_type`` (an OpenMetadata data type) picks the metrics: numbers get
    min, max, mean, sum and stddev; dates and times min and max as ISO text;
    text minLength and maxLength. ``add(values, nulls)`` takes one batch's
    non-null values, typed (ints or floats; str; date, datetime or time; bool).
    """

    def __init__(self, data_type: str, max_distinct_values: int = DEFAULT_MAX_DISTINCT_VALUES,
                 sketch_size: int = DEFAULT_SKETCH_SIZE, order_key: Callable[[Any], Any] | None = None) -> None:
        self.data_type = data_type
        self.null_count = 0
        self.values_count = 0
        self.distinct = DistinctCounter(max_distinct_values, sketch_size)
        self.numbers = NumberStats() if data_type in NUMERIC_TYPES else None
        self.extremes = Extremes(order_key) if data_type in TEMPORAL_TYPES else None
        self.lengths = LengthStats() if data_type in TEXT_TYPES else None

    def add(self, values: Sequence[Any], nulls: int = 0) -> None:
        """One batch: its non-null values (of one type) and how many nulls it held."""
        self.null_count += nulls
        self.values_count += len(values)
        if not values:
            return
        self.distinct.add(values)
        if self.numbers is not None:
            if isinstance(values[0], float):
                self.numbers.add_floats(values)
            else:
                self.numbers.add_ints(values)
        elif self.extremes is not None:
            self.extremes.add(values)
        elif self.lengths is not None:
            self.lengths.add(values)

    def result(self, name: str, row_count: int) -> ColumnProfile:
        """The column's profile; proportions of values (distinct, unique) or of rows (null)."""
        values = self.values_count
        distinct = min(self.distinct.distinct(), values)  # an estimate never says more than there is
        unique = min(self.distinct.unique(), distinct)
        low = high = None
        mean = total = stddev = None
        if self.numbers is not None:
            low, high = self.numbers.minimum, self.numbers.maximum
            mean, total, stddev = self.numbers.mean(), self.numbers.total(), self.numbers.stddev()
        elif self.extremes is not None:
            low, high = _iso(self.extremes.minimum), _iso(self.extremes.maximum)
        lengths = self.lengths
        return ColumnProfile(
            name=name,
            values_count=values,
            null_count=self.null_count,
            null_proportion=self.null_count / row_count if row_count else None,
            distinct_count=distinct,
            distinct_proportion=distinct / values if values else None,
            unique_count=unique,
            unique_proportion=unique / values if values else None,
            min=low,
            max=high,
            mean=mean,
            sum=total,
            stddev=stddev,
            min_length=lengths.shortest if lengths is not None else None,
            max_length=lengths.longest if lengths is not None else None,
        )


# --- Sampling rows ----------------------------------------------------------


def first_rows(rows: Iterable[T], size: int) -> list[T]:
    """The first ``size`` rows."""
    return list(itertools.islice(rows, size))


def reservoir_sample(rows: Iterable[T], size: int, rng: random.Random) -> list[T]:
    """A uniform random sample of ``size`` rows in one pass, kept in their original order.

    Li's Algorithm L: after the reservoir fills, it draws how many rows to skip
    before the next one that enters, so the work per skipped row is only
    reading it (``islice`` skips in C). Memory holds ``size`` rows.
    """
    if size <= 0:
        return []
    iterator = iter(rows)
    reservoir = list(enumerate(itertools.islice(iterator, size)))
    if len(reservoir) < size:
        return [row for _, row in reservoir]
    index = size - 1
    weight = math.exp(math.log(1.0 - rng.random()) / size)  # 1 - random() lies in (0, 1]: log is defined
    while True:
        skip = math.floor(math.log(1.0 - rng.random()) / math.log(1.0 - weight)) if weight < 1.0 else 0
        row = next(itertools.islice(iterator, skip, None), _END)
        if row is _END:
            break
        index += skip + 1
        reservoir[rng.randrange(size)] = (index, row)
        weight *= math.exp(math.log(1.0 - rng.random()) / size)
    reservoir.sort(key=operator.itemgetter(0))
    return [row for _, row in reservoir]


_END: Any = object()
