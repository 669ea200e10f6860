"""Publish what the connectors yield to an OpenMetadata server, through its REST API.

``OpenMetadataSink`` sends each record as it comes, one request per entity; ``OpenMetadataBulkSink``
publishes a ``FileStage`` staging file and sends runs of databases, schemas and tables through
OpenMetadata's bulk routes. Both speak to the server as its own Python client does: create-or-update
(``PUT``) at each entity's route, profiles, samples, lineage, usage and queries at theirs, table
names resolved to ids once and remembered. One HTTP/1.1 connection is kept open for the whole run.

Faults: 429, 502, 503, 504, timeouts and dropped connections are retried with bounded exponential
backoff (honouring ``Retry-After``); 400, 404, 409 fail that one record, quoting the server; 401 and
403 stop the run (``WorkflowFatalError``): every later request would be refused the same way.
The token is a secret: it is sent in the ``Authorization`` header and nowhere else, and it is
blanked out of anything the server sends back before that reaches a message or a log.
Standard library, ``attrs`` (through the models) and ``minigest`` only.
"""

import email.utils
import http.client
import json
import logging
import socket
import ssl
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Optional

from connectors.models import (
    Contents,
    Database,
    DatabaseSchema,
    DatabaseService,
    LineageEdge,
    Query,
    SampleData,
    Table,
    TableProfile,
    TableUsage,
)
from connectors.outputs import open_staged, parse_staging_line
from minigest import (
    BulkSink,
    ConfigError,
    Either,
    MinigestError,
    Sink,
    StackTraceError,
    Status,
    WorkflowFatalError,
    fqn_join,
)

__all__ = ["OpenMetadataBulkSink", "OpenMetadataClient", "OpenMetadataSink", "RequestFailed"]

logger = logging.getLogger("minigest.openmetadata")

# Answers worth another try (rate limit, gateway trouble); and those that mean the token is no good.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
FATAL_STATUSES = frozenset({401, 403})
# A bulk request refused as a whole: send its items one by one so each gets its own outcome.
NO_BULK_ROUTE = frozenset({404, 405})

# Create-or-update routes (ometa's routes.py), and the kinds OpenMetadata 1.13's own sink sends
# through PUT {route}/bulk. Services are few, so they always go one by one.
CREATE_ROUTES: dict[type, str] = {
    DatabaseService: "/v1/services/databaseServices",
    Database: "/v1/databases",
    DatabaseSchema: "/v1/databaseSchemas",
    Table: "/v1/tables",
}
BULK_KINDS = (Database, DatabaseSchema, Table)
# Each kind's parent: the key naming it in the create request, the attribute holding it, its word.
PARENTS: dict[type, tuple[str, str, str]] = {
    Database: ("service", "service", "service"),
    DatabaseSchema: ("database", "database", "database"),
    Table: ("databaseSchema", "database_schema", "schema"),
}
KIND_WORDS: dict[type, str] = {
    DatabaseService: "service", Database: "database", DatabaseSchema: "schema", Table: "table",
}

CONTENTS_REASON = "not applied: OpenMetadata marks deleted entities itself; this sink only creates and updates"


class RequestFailed(MinigestError):
    """A request that failed for good: the message says what the server (or the network) answered."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class _Secret:
    """Holds the token; its repr and str never show it, so neither can a traceback or a debugger dump."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


# --- The HTTP client --------------------------------------------------------


class _Connection(http.client.HTTPConnection):
    """An HTTP connection that sends small requests at once.

    http.client writes the headers and the body in two sends; with Nagle's algorithm on, the
    second waits for the server's delayed ACK, about 40 ms per request. urllib3 turns it off too.
    """

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _TlsConnection(http.client.HTTPSConnection):
    """The same for https."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class OpenMetadataClient:
    """JSON over one persistent HTTP/1.1 connection to ``host_port``, with retries and the token.

    Nothing touches the network until the first request. ``sleep`` and ``keep_alive`` are attributes
    so that tests can record the waits and benchmarks can open a new connection per request.
    """

    max_wait = 60.0  # longest single wait between two attempts, whatever Retry-After asks for

    def __init__(
        self,
        host_port: str,
        jwt_token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        retry_wait: float = 0.5,
        verify_ssl: bool = True,
        ca_file: Optional[Path] = None,
    ) -> None:
        parts = urllib.parse.urlsplit(host_port) if isinstance(host_port, str) else None
        if parts is not None and "@" in parts.netloc:  # said without the value: it may hold a password
            raise ConfigError("option 'host_port': must not hold a user or password; give the token as jwt_token")
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            example = "http://localhost:8585/api"
            raise ConfigError(f"option 'host_port': expected a URL such as {example}, got {host_port!r}")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"option 'host_port': bad port in {host_port!r}") from None
        for option, value, least in (("timeout", timeout, 0.0), ("retry_wait", retry_wait, 0.0)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least or value != value:
                raise ConfigError(f"option {option!r}: expected a number of seconds, 0 or more, got {value!r}")
        if not timeout:
            raise ConfigError("option 'timeout': must be more than 0 seconds")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ConfigError(f"option 'retries': expected a whole number, 0 or more, got {retries!r}")
        if jwt_token is not None and (not isinstance(jwt_token, str) or not jwt_token.strip()):
            raise ConfigError("option 'jwt_token': must be a non-empty string (a bot's JWT token)")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = port or (443 if self.https else 80)
        self.base_path = parts.path.rstrip("/")  # "/api" in OpenMetadata's own convention
        self.where = f"{parts.scheme}://{parts.netloc}{self.base_path}"  # for messages: never holds the token
        self.timeout = float(timeout)
        self.retries = retries
        self.retry_wait = float(retry_wait)
        self._token = _Secret(jwt_token) if jwt_token else None
        self._ssl_context = self._make_ssl_context(verify_ssl, ca_file) if self.https else None
        if ca_file is not None and not self.https:
            raise ConfigError(f"option 'ca_file': only used for https, and host_port is {self.where}")
        self._connection: Optional[http.client.HTTPConnection] = None
        self.keep_alive = True
        self.sleep: Callable[[float], None] = time.sleep
        self.connections_opened = 0
        self.requests_sent = 0

    @staticmethod
    def _make_ssl_context(verify_ssl: bool, ca_file: Optional[Path]) -> ssl.SSLContext:
        if not verify_ssl:
            if ca_file is not None:
                raise ConfigError("options 'ca_file' and 'verify_ssl': false contradict each other")
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        if ca_file is not None and not Path(ca_file).is_file():
            raise ConfigError(f"option 'ca_file': {ca_file} is not a file")
        try:
            return ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"option 'ca_file': cannot read {ca_file}: {exc}") from None

    def __repr__(self) -> str:
        return f"OpenMetadataClient({self.where!r})"

    # Requests

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request and return its decoded JSON answer (None when empty).

        Raises RequestFailed once the server refused it or the retries are spent, and
        WorkflowFatalError for 401 / 403.
        """
        payload = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            wait = min(self.retry_wait * 2 ** (attempt - 1), self.max_wait)
            status: Optional[int] = None
            try:
                status, reason, retry_after, data = self._exchange(method, self.base_path + path, payload)
            except (socket.timeout, TimeoutError):
                problem = f"no answer within {self.timeout:g} s"
            except ssl.SSLCertVerificationError as exc:  # every later request would fail the same way
                raise WorkflowFatalError(
                    f"cannot verify the TLS certificate of {self.where}: {exc.verify_message}; give the server's CA "
                    f"as ca_file (or verify_ssl: false, for a test server only)"
                ) from None
            except (http.client.HTTPException, OSError) as exc:
                problem = self.scrub(f"connection to {self.where} failed ({type(exc).__name__}: {exc})")
            else:
                if status < 300:
                    return self._decode(data, status)
                message = self.scrub(_server_message(data))
                if status in FATAL_STATUSES:
                    advice = "check the jwt_token option (a bot's token)" if self._token else "no jwt_token was given"
                    raise WorkflowFatalError(
                        f"OpenMetadata at {self.where} refused the token ({status} {reason}) on {method} {path}: "
                        f"{message}; {advice}"
                    )
                if status not in RETRY_STATUSES:
                    raise RequestFailed(f"the server answered {status} {reason}: {message}", status)
                problem = f"the server answered {status} {reason}: {message}"
                wait = max(wait, retry_after)
            if attempt == attempts:
                raise RequestFailed(f"{problem} (gave up after {attempts} attempts)", status)
            wait = min(wait, self.max_wait)
            logger.warning("%s %s: %s; trying again in %.2f s (attempt %d of %d)",
                           method, path, problem, wait, attempt + 1, attempts)
            self.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _exchange(self, method: str, url: str, payload: Optional[bytes]) -> tuple[int, str, float, bytes]:
        """One round trip; a kept-alive connection the server closed meanwhile is re-opened once, at once."""
        reused = self._connection is not None
        try:
            return self._round_trip(method, url, payload)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            return self._round_trip(method, url, payload)  # the usual end of an idle keep-alive connection

    def _round_trip(self, method: str, url: str, payload: Optional[bytes]) -> tuple[int, str, float, bytes]:
        connection = self._connection or self._open()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"
        if not self.keep_alive:
            headers["Connection"] = "close"
        self.requests_sent += 1
        try:
            connection.request(method, url, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except BaseException:
            self.close()  # whatever state the connection is in, it is not reusable
            raise
        if response.will_close or not self.keep_alive:
            self.close()
        return response.status, response.reason, _retry_after(response.getheader("Retry-After")), data

    def _open(self) -> http.client.HTTPConnection:
        if self.https:
            self._connection = _TlsConnection(self.host, self.port, timeout=self.timeout, context=self._ssl_context)
        else:
            self._connection = _Connection(self.host, self.port, timeout=self.timeout)
        self.connections_opened += 1
        return self._connection

    def close(self) -> None:
        """Close the connection; the next request opens a new one."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()

    def _decode(self, data: bytes, status: int) -> Any:
        """A success's JSON answer; one that is not JSON is no OpenMetadata answer (a UI page, a proxy)."""
        if not data.strip():
            return None
        try:
            return json.loads(data)
        except ValueError:
            raise RequestFailed(
                f"the server answered {status} with something that is not JSON: is {self.where} OpenMetadata's "
                f"API (its address ends in /api)?", status
            ) from None

    def scrub(self, text: str) -> str:
        """Blank out the token wherever it appears (a server may echo a request back in its error)."""
        if self._token is not None and self._token.reveal() in text:
            return text.replace(self._token.reveal(), "***")
        return text




def _server_message(data: bytes) -> str:
    """OpenMetadata's error body is {"code": ..., "message": ...}; anything else is quoted, shortened."""
    text = data.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        text = body["message"]
    text = " ".join(text.split())
    return (text[:500] + "...") if len(text) > 500 else (text or "(no message)")


def _retry_after(value: Optional[str]) -> float:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date; 0 if absent or bad."""
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, moment.timestamp() - time.time())


# --- What both sinks share: routes, ids, refusals ---------------------------


class _Publisher:
    """Sends entities to their routes; remembers table ids and what the server refused this run."""

    def __init__(self, client: OpenMetadataClient) -> None:
        self.client = client
        self.table_ids: dict[str, str] = {}  # table fqn -> id: from PUT answers, then from lookups by name
        self.refused: dict[str, str] = {}  # fqn -> why the server refused it, so its children can say so
        self.bulk_routes = True  # until the server shows it has none
        # Every kind this sink publishes, in one place: the entity's class picks the handler.
        self.handlers: dict[type, Callable[[Any], None]] = {
            DatabaseService: self.put_entity,
            Database: self.put_entity,
            DatabaseSchema: self.put_entity,
            Table: self.put_entity,
            TableProfile: self.put_profile,
            SampleData: self.put_sample,
            LineageEdge: self.put_lineage,
            TableUsage: self.post_usage,
            Query: self.put_query,
        }

    def publish(self, record: Any) -> Either[Any]:
        """Send one record; a right when the server stored it, a left saying why not."""
        handler = self.handlers.get(type(record))
        if handler is None:
            return _left(_name_of(record), f"the OpenMetadata sink cannot publish a {type(record).__name__}")
        try:
            handler(record)
        except RequestFailed as exc:
            return _left(record.fqn, str(exc))
        return Either(right=record)

    # The four core entities: create-or-update, one by one or in bulk.

    def put_entity(self, entity: Any) -> None:
        try:
            answer = self.client.request("PUT", CREATE_ROUTES[type(entity)], entity.to_dict())
        except RequestFailed as exc:
            raise RequestFailed(self.refusal(entity, str(exc)), exc.status) from None
        entity_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(entity_id, str):  # OpenMetadata answers with the stored entity; anything else is not it
            raise RequestFailed(self.refusal(entity, "the server's answer is not the stored entity (it has no id)"))
        if isinstance(entity, Table):
            self.table_ids[entity.fqn] = entity_id
            if isinstance(answer.get("fullyQualifiedName"), str):
                self.table_ids[answer["fullyQualifiedName"]] = entity_id

    def publish_batch(self, entities: list[Any]) -> list[Either[Any]]:
        """Send a run of entities of one kind through its bulk route; one outcome per entity, in order."""
        if len(entities) == 1 or not self.bulk_routes:
            return [self.publish(entity) for entity in entities]
        route = CREATE_ROUTES[type(entities[0])] + "/bulk"
        try:
            answer = self.client.request("PUT", route, [entity.to_dict() for entity in entities])
        except RequestFailed as exc:
            if exc.status in NO_BULK_ROUTE:  # an older server: fall back to one PUT per entity, for good
                logger.info("%s has no bulk route (%s); sending entities one by one", self.client.where, exc)
                self.bulk_routes = False
                return [self.publish(entity) for entity in entities]
            if exc.status is not None and exc.status not in RETRY_STATUSES:
                return [self.publish(entity) for entity in entities]  # refused as a whole: find out which
            return [_left(entity.fqn, self.refusal(entity, str(exc))) for entity in entities]
        if not isinstance(answer, dict):
            return [self.publish(entity) for entity in entities]  # not a BulkOperationResult: ask one by one
        return self._bulk_outcomes(entities, answer)

    def _bulk_outcomes(self, entities: list[Any], answer: dict[str, Any]) -> list[Either[Any]]:
        """Match a BulkOperationResult's items to the entities sent, by fully qualified name."""
        kind = type(entities[0])
        failed = {}
        for item in _items(answer.get("failedRequest")):
            failed[_item_fqn(item.get("request"), kind)] = str(item.get("message") or "no reason given")
        passed = {_item_fqn(item.get("request"), kind) for item in _items(answer.get("successRequest"))}
        all_passed = not failed and (answer.get("status") == "success" or answer.get("numberOfRowsFailed") == 0)
        outcomes: list[Either[Any]] = []
        for entity in entities:
            if entity.fqn in failed:
                reason = self.client.scrub(failed[entity.fqn])
                outcomes.append(_left(entity.fqn, self.refusal(entity, f"the server refused it: {reason}")))
            elif entity.fqn in passed or all_passed:
                outcomes.append(Either(right=entity))
            else:
                reason = "the server's bulk answer does not say whether it was stored"
                outcomes.append(_left(entity.fqn, self.refusal(entity, reason)))
        return outcomes

    def refusal(self, entity: Any, reason: str) -> str:
        """Remember a refusal and say it, with the parent's refusal when that is the likely cause."""
        self.refused[entity.fqn] = reason
        message = f"{KIND_WORDS[type(entity)]} {entity.fqn} was not stored in OpenMetadata: {reason}"
        if type(entity) in PARENTS:
            _, attribute, word = PARENTS[type(entity)]
            parent = getattr(entity, attribute)
            if parent in self.refused:
                message += f"; its {word} {parent} was refused earlier: {self.refused[parent]}"
        return message

    # Everything that hangs off a table: the route needs its id.

    def table_id(self, fqn: str) -> str:
        """The id of a table, looked up by name once and then remembered."""
        known = self.table_ids.get(fqn)
        if known is not None:
            return known
        try:
            answer = self.client.request("GET", f"/v1/tables/name/{urllib.parse.quote(fqn, safe='')}")
        except RequestFailed as exc:
            if exc.status == 404:
                why = f"table {fqn} is not in OpenMetadata (publish the metadata run first)"
                if fqn in self.refused:
                    why += f"; it was refused earlier: {self.refused[fqn]}"
                raise RequestFailed(why, 404) from None
            raise RequestFailed(f"cannot look up table {fqn}: {exc}", exc.status) from None
        table_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(table_id, str):
            raise RequestFailed(f"cannot look up table {fqn}: the server's answer has no id")
        self.table_ids[fqn] = table_id
        return table_id

    def _put_on_table(self, what: str, table_fqn: str, suffix: str, body: Any, method: str = "PUT") -> None:
        table_id = self.table_id(table_fqn)
        try:
            self.client.request(method, suffix.format(id=table_id), body)
        except RequestFailed as exc:
            raise RequestFailed(f"{what} of table {table_fqn} was not stored: {exc}", exc.status) from None

    def put_profile(self, profile: TableProfile) -> None:
        self._put_on_table("profile", profile.table_fqn, "/v1/tables/{id}/tableProfile", profile.to_dict())

    def put_sample(self, sample: SampleData) -> None:
        self._put_on_table("sample data", sample.table_fqn, "/v1/tables/{id}/sampleData", sample.to_dict())

    def post_usage(self, usage: TableUsage) -> None:
        self._put_on_table("usage", usage.table_fqn, "/v1/usage/table/{id}", usage.to_dict(), method="POST")

    def put_lineage(self, edge: LineageEdge) -> None:
        """AddLineageRequest: the models name both ends; OpenMetadata wants their ids as well."""
        body = edge.to_dict()
        for end, fqn in (("fromEntity", edge.from_fqn), ("toEntity", edge.to_fqn)):
            body["edge"][end] = {"id": self.table_id(fqn), "type": "table", "fullyQualifiedName": fqn}
        try:
            self.client.request("PUT", "/v1/lineage", body)
        except RequestFailed as exc:
            raise RequestFailed(f"lineage {edge.fqn} was not stored: {exc}", exc.status) from None

    def put_query(self, query: Query) -> None:
        """CreateQueryRequest: the tables it used become entity references with ids."""
        body = query.to_dict()
        if query.table_fqns:
            body["queryUsedIn"] = [
                {"id": self.table_id(fqn), "type": "table", "fullyQualifiedName": fqn} for fqn in query.table_fqns
            ]
        try:
            self.client.request("PUT", "/v1/queries", body)
        except RequestFailed as exc:
            raise RequestFailed(f"query {query.fqn} was not stored: {exc}", exc.status) from None

    def test_connection(self) -> str:
        """Ask the server's version, then make one authenticated read; returns the version."""
        try:
            answer = self.client.request("GET", "/v1/system/version")
            self.client.request("GET", "/v1/services/databaseServices?limit=1")
        except RequestFailed as exc:
            raise RequestFailed(f"cannot use OpenMetadata at {self.client.where}: {exc}", exc.status) from None
        version = answer.get("version") if isinstance(answer, dict) else None
        return version if isinstance(version, str) else "unknown"


def _left(name: str, error: str) -> Either[Any]:
    return Either(left=StackTraceError(name=name, error=error))


def _name_of(record: Any) -> str:
    fqn = getattr(record, "fqn", None)
    return fqn if isinstance(fqn, str) else type(record).__name__


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _item_fqn(request: Any, kind: type) -> Optional[str]:
    """The fqn a bulk answer's item is about: the fqn itself, or the create request it echoes."""
    if isinstance(request, str):
        return request
    if not isinstance(request, dict):
        return None
    if isinstance(request.get("fullyQualifiedName"), str):
        return str(request["fullyQualifiedName"])
    name, parent = request.get("name"), request.get(PARENTS[kind][0]) if kind in PARENTS else None
    if not isinstance(name, str):
        return None
    return f"{parent}.{fqn_join(name)}" if isinstance(parent, str) else fqn_join(name)


def _skip_contents(status: Status, contents: Contents) -> None:
    """Contents are counted as filtered, with the reason kept like Status.filter() keeps it."""
    if len(status.filtered_details) < status.max_failures_kept:
        status.filtered_details.append((contents.fqn, CONTENTS_REASON))


# --- The two sinks ----------------------------------------------------------


class OpenMetadataSink(Sink):
    """Sends each record to OpenMetadata as it comes: one request per entity, on one kept-alive connection.

    Records are not batched: a Sink reports each record's outcome when it returns, and a batch's
    outcome is only known later. For batches, stage to a file and use ``OpenMetadataBulkSink``.
    """

    def __init__(
        self,
        host_port: str,
        jwt_token: Optional[str] = None,
        timeout: float = 30.0,
        retries: int = 3,
        verify_ssl: bool = True,
        ca_file: Optional[Path] = None,
        retry_wait: float = 0.5,
    ) -> None:
        super().__init__()
        self.client = OpenMetadataClient(
            host_port, jwt_token, timeout=timeout, retries=retries, retry_wait=retry_wait,
            verify_ssl=verify_ssl, ca_file=ca_file,
        )
        self.publisher = _Publisher(self.client)
        self.server_version: Optional[str] = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(host_port={self.client.where!r})"

    def _run(self, record: Any) -> Optional[Either[Any]]:
        if isinstance(record, Contents):
            _skip_contents(self.status, record)
            return None  # the workflow counts it as filtered
        return self.publisher.publish(record)

    def test_connection(self) -> None:
        """The server's version, then one authenticated read: a wrong host or a bad token shows here."""
        self.server_version = self.publisher.test_connection()
        logger.info("OpenMetadata %s at %s", self.server_version, self.client.where)

    def close(self) -> None:
        self.client.close()


class OpenMetadataBulkSink(BulkSink):
    """Publishes a FileStage staging file to OpenMetadata; runs of one kind go through the bulk routes.

    A batch is sent when it holds ``batch_size`` entities, when the kind changes (so parents are
    stored before their children) and at the end. ``batch_size`` 1 sends one PUT per entity.
    """

    def __init__(
        self,
        staging_file: Path,
        host_port: str,
        jwt_token: Optional[str] = None,
        timeout: float = 30.0,
        retries: int = 3,
        verify_ssl: bool = True,
        ca_file: Optional[Path] = None,
        retry_wait: float = 0.5,
        batch_size: int = 100,
    ) -> None:
        super().__init__()
        if not str(staging_file).strip() or str(staging_file) == ".":
            raise ConfigError(f"option 'staging_file': must be a non-empty path, got {str(staging_file)!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"option 'batch_size': expected a whole number, 1 or more, got {batch_size!r}")
        self.staging_file = Path(staging_file)
        self.batch_size = batch_size
        self.client = OpenMetadataClient(
            host_port, jwt_token, timeout=timeout, retries=retries, retry_wait=retry_wait,
            verify_ssl=verify_ssl, ca_file=ca_file,
        )
        self.publisher = _Publisher(self.client)
        self.server_version: Optional[str] = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(staging_file={str(self.staging_file)!r}, host_port={self.client.where!r})"

    def test_connection(self) -> None:
        """The server's version, then one authenticated read: a wrong host or a bad token shows here."""
        self.server_version = self.publisher.test_connection()
        logger.info("OpenMetadata %s at %s", self.server_version, self.client.where)

    def run(self) -> None:
        """Read the staging file line by line, batching runs of one kind; count each entity's outcome."""
        opened = open_staged(self.name, self.stage, self.staging_file)  # exactly what this run's stage committed
        if isinstance(opened, str):
            self.fail(StackTraceError(str(self.staging_file), opened))
            return
        staged, lines = opened
        batch: list[Any] = []
        with lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    entity = parse_staging_line(line)
                except ValueError as exc:
                    where = f"{staged}, line {number}"
                    self.status.failed(StackTraceError(where, f"{where}: {exc}"))
                    continue
                if batch and (type(entity) is not type(batch[0]) or len(batch) >= self.batch_size):
                    self._send(batch)
                    batch = []
                if self.batch_size > 1 and isinstance(entity, BULK_KINDS):
                    batch.append(entity)
                elif isinstance(entity, Contents):
                    self.status.filter(entity.fqn, CONTENTS_REASON)
                else:
                    self._count(self.publisher.publish(entity), entity)
        self._send(batch)

    def _send(self, batch: list[Any]) -> None:
        if batch:
            for outcome, entity in zip(self.publisher.publish_batch(batch), batch):
                self._count(outcome, entity)

    def _count(self, outcome: Either[Any], entity: Any) -> None:
        if outcome.left is None:
            self.status.scanned(entity)
        else:
            self.fail(outcome.left, entity)

    def close(self) -> None:
        self.client.close()
