"""The README's examples, run as written: a README that lies is a bug."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import minigest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_block(after: str) -> str:
    """The first ```python block after the heading ``after``."""
    return README.split(after, 1)[1].split("```python", 1)[1].split("```", 1)[0]


def test_topology_example_yields_what_the_readme_says(monkeypatch: pytest.MonkeyPatch) -> None:
    namespace: dict[str, object] = {}
    exec(python_block("## Topology"), namespace)
    result = minigest.collect(namespace["Catalog"]())  # type: ignore[operator]
    expected = re.search(r"The source above yields (.*?)\.\s+After", README, re.S)
    assert expected is not None
    names = [part.strip(" `\n") for part in expected.group(1).replace("\n", " ").split(",")]
    assert result.rights == names
    assert result.failures == []


def test_test_kit_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    exec(python_block("## Testing connectors"), {})


def test_teaching_example_runs_as_shown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    samples = tmp_path / "connectors" / "samples"  # a copy, so the run writes nothing in the checkout
    samples.mkdir(parents=True)
    for name in ("teaching.json", "teaching.csv"):
        shutil.copy(ROOT / "connectors" / "samples" / name, samples / name)
    monkeypatch.chdir(tmp_path)
    assert minigest.main(["run", "connectors/samples/teaching.json", "--trace"]) == 0
    trace = capsys.readouterr().err
    shown = README.split("$ minigest run connectors/samples/teaching.json --trace\n", 1)[1].split("```", 1)[0]
    for line in shown.splitlines():
        if line != "...":
            assert line in trace.splitlines()
    bodies = [json.loads(line) for line in (samples / "teaching.jsonl").read_text().splitlines()]
    assert [body["name"] for body in bodies if "name" in body] == ["teaching", "shop", "default", "orders"]
    # What the source found (filtered and failed tables too), so a catalog can forget what is gone.
    assert [(body["kind"], body["names"]) for body in bodies if "parent" in body] == [
        ("table", ["orders", "tmp_scratch", "refunds"]), ("databaseSchema", ["default"])]


def test_protobuf_sample_loads_into_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sqlite3

    monkeypatch.chdir(ROOT)
    config = json.loads((ROOT / "connectors/samples/protobuf.json").read_text())
    for step in ("stage", "bulk_sink"):
        config[step]["options"]["staging_file"] = str(tmp_path / "staging.jsonl")
    config["bulk_sink"]["options"]["database"] = str(tmp_path / "catalog.db")
    workflow = minigest.Workflow.create(config, folder=ROOT / "connectors/samples")
    workflow.execute()
    assert workflow.result_status() == 0
    rows = dict(sqlite3.connect(tmp_path / "catalog.db").execute(
        "select name, data_type from columns where parent_fqn is null order by ordinal_position"
    ).fetchall())
    assert rows == {
        "id": "STRING", "customer": "RECORD", "lines": "ARRAY", "labels": "MAP", "status": "ENUM",
        "placed_at": "RECORD", "replaces": "RECORD", "signature": "BYTES",
    }


def test_quickstart_prints_what_the_readme_shows(capsys: pytest.CaptureFixture[str]) -> None:
    exec(python_block("## Quickstart"), {})
    printed = capsys.readouterr().out
    shown = README.split("`print_status()` prints what happened", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]

    def without_times(text: str) -> str:
        return re.sub(r"\d+\.\d{3}s", "T", text).strip()

    assert without_times(shown) in without_times(printed)
    assert printed.rstrip().endswith("[12.5, 3.0]")


def test_filter_pattern_example_keeps_what_the_readme_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    block = README.split("## Filter patterns", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    config = minigest.Workflow.create(json.loads(block), folder=ROOT / "connectors" / "samples")  # where it sits
    result = minigest.collect(config)
    tables = [right.name for right in result.rights if type(right).__name__ == "Table"]
    assert tables == ["customers", "orders"] and result.failures == []
    assert result.status.filtered_details == [
        ("sensor_readings", "table 'sensor_readings' matches none of table_filter_pattern's includes "
                            "('orders', 'customers')")]


def test_writing_a_connector_example_runs_as_the_readme_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    section = README.split("## Writing a connector", 1)[1].split("\n## ", 1)[0]
    (tmp_path / "my_connector.py").write_text(section.split("```python", 1)[1].split("```", 1)[0])
    config = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    (tmp_path / "my_config.json").write_text(json.dumps(config))
    tables = re.search(r"a catalog `tables.json` such as\n`(.*?)`:", section, re.S)
    assert tables is not None
    (tmp_path / "tables.json").write_text(tables.group(1).replace("\n", " "))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert minigest.main(["run", "my_config.json"]) == 1  # one table of two failed: below the threshold
    counts = re.search(r"writes\n`counts.json` \(`(.*?)`\)", section, re.S)
    assert counts is not None
    assert json.loads((tmp_path / "counts.json").read_text()) == json.loads(counts.group(1).replace("\n", " "))
    report = " ".join(capsys.readouterr().out.replace("|", " ").split())  # the report's cells wrap
    assert "tables.json: table 'refunds': column 'reason': 'WORDS'" in report
    assert "is not an OpenMetadata data type" in report
    config.pop("sink")
    config["stage"] = {"type": "connectors.outputs.FileStage", "options": {"staging_file": "staging.jsonl"}}
    config["bulk_sink"] = {"type": "my_connector.TableList", "options": {"path": "tables.txt"}}
    (tmp_path / "my_config.json").write_text(json.dumps(config))
    minigest.Workflow.from_file("my_config.json").execute()
    assert (tmp_path / "tables.txt").read_text() == "shop.sales.default.orders\n"
