"""A small stand-in for OpenMetadata's REST API on 127.0.0.1, for the tests and the benchmarks.

It checks what the real server checks that matters to a sink: the bearer token, the routes and
methods, each create request's required keys, and that an entity's parent exists (a database
needs its service, a schema its database, a table its schema; ids must name stored tables). It
stores what it accepts, answers as OpenMetadata does (``{"code", "message"}`` errors, bulk
answers as ``BulkOperationResult``), speaks HTTP/1.1 with keep-alive, counts connections, and
misbehaves on demand (``inject``: an error status with ``Retry-After``, a dropped connection, a
slow answer, a closed connection). The sink does not need this module.
"""

import json
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from minigest import fqn_join

__all__ = ["Fault", "OpenMetadataTestServer"]

# route -> (kind, required keys, the key naming the parent, the parent's kind)
ENTITY_ROUTES: dict[str, tuple[str, tuple[str, ...], Optional[str], Optional[str]]] = {
    "/v1/services/databaseServices": ("databaseService", ("name", "serviceType"), None, None),
    "/v1/databases": ("database", ("name", "service"), "service", "databaseService"),
    "/v1/databaseSchemas": ("databaseSchema", ("name", "database"), "database", "database"),
    "/v1/tables": ("table", ("name", "databaseSchema", "columns"), "databaseSchema", "databaseSchema"),
}
BULK_ROUTES = {route + "/bulk": route for route in ("/v1/databases", "/v1/databaseSchemas", "/v1/tables")}


class Refused(Exception):
    """An answer other than success: its status and OpenMetadata's error message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Fault:
    """One misbehaviour for the next ``times`` requests whose path contains ``path`` (and method matches).

    ``status`` answers with that status and ``message`` (or the bytes ``raw``), ``drop`` ends the
    connection without an answer, ``close`` answers normally and closes, ``delay`` waits first.
    """

    def __init__(
        self,
        *,
        status: Optional[int] = None,
        retry_after: Optional[str] = None,
        drop: bool = False,
        close: bool = False,
        delay: float = 0.0,
        times: int = 1,
        path: str = "",
        method: Optional[str] = None,
        message: Optional[str] = None,
        raw: Optional[bytes] = None,
    ) -> None:
        self.status, self.retry_after, self.drop, self.close, self.raw = status, retry_after, drop, close, raw
        self.delay, self.times, self.path, self.method, self.message = delay, times, path, method, message

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.path in path and (self.method is None or self.method == method)


class OpenMetadataTestServer:
    """Start with ``with OpenMetadataTestServer(token=...) as server:``; point a sink at ``server.host_port``.

    ``bulk=False`` plays a server without the bulk routes; ``tls`` (certificate and key files) serves
    https. ``refuse[name] = (status, message)`` refuses every entity of that name. ``echo_token``
    puts the Authorization header into error messages, as a careless proxy might, to test that the
    sink never repeats it.
    """

    def __init__(
        self, token: str = "test-token", *, bulk: bool = True, echo_token: bool = False,
        tls: Optional[tuple[str, str]] = None,
    ) -> None:
        self.token = token
        self.tls = tls  # (certificate file, key file): serve https
        self.bulk = bulk
        self.echo_token = echo_token
        self.entities: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind, *_ in ENTITY_ROUTES.values()}
        self.by_id: dict[str, tuple[str, str]] = {}  # id -> (kind, fqn)
        self.profiles: dict[str, list[dict[str, Any]]] = {}  # by table fqn
        self.samples: dict[str, dict[str, Any]] = {}
        self.usage: dict[str, list[dict[str, Any]]] = {}
        self.lineage: list[dict[str, Any]] = []
        self.queries: dict[str, dict[str, Any]] = {}
        self.refuse: dict[str, tuple[int, str]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self.connections = 0
        self.server_errors: list[str] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # Lifecycle

    def __enter__(self) -> "OpenMetadataTestServer":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"om": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd.om = self
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def host_port(self) -> str:
        assert self._httpd is not None, "start the server first"
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}/api"

    # Misbehaviour on demand

    def inject(self, **fault: Any) -> Fault:
        """Misbehave on the next matching requests; see ``Fault`` for the keywords."""
        made = Fault(**fault)
        with self._lock:
            self._faults.append(made)
        return made

    def _take_fault(self, method: str, path: str) -> Optional[Fault]:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    # What a test asks

    def fqns(self, kind: str) -> set[str]:
        return set(self.entities[kind])

    def count(self, method: str, path_start: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(path_start))

    # The API

    def answer(self, method: str, route: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        """Route one authenticated request; returns (status, answer) or raises Refused."""
        if route in ENTITY_ROUTES and method == "PUT":
            return self._create_or_update(route, body)
        if route in BULK_ROUTES and method == "PUT" and self.bulk:
            return 200, self._bulk(BULK_ROUTES[route], body)
        if route == "/v1/services/databaseServices" and method == "GET":
            limit = int(query.get("limit", ["10"])[0])
            services = list(self.entities["databaseService"].values())
            return 200, {"data": services[:limit], "paging": {"total": len(services)}}
        if route.startswith("/v1/tables/name/") and method == "GET":
            fqn = urllib.parse.unquote(route[len("/v1/tables/name/"):])
            if fqn not in self.entities["table"]:
                raise Refused(404, f"table instance for {fqn} not found")
            return 200, self.entities["table"][fqn]
        parts = route.split("/")  # ['', 'v1', 'tables', id, 'tableProfile']
        if len(parts) == 5 and parts[2] == "tables" and method == "PUT" and parts[4] in ("tableProfile", "sampleData"):
            return self._on_table(parts[3], parts[4], body)
        if len(parts) == 5 and parts[2:4] == ["usage", "table"] and method == "POST":
            fqn = self._table_fqn(parts[4])
            _require(body, ("date", "count"), "UsageRequest")
            self.usage.setdefault(fqn, []).append(body)
            return 201, {"entity": {"id": parts[4], "type": "table"}, "usage": [body]}
        if route == "/v1/lineage" and method == "PUT":
            return self._lineage(body)
        if route == "/v1/queries" and method == "PUT":
            return self._query(body)
        raise Refused(404 if method in ("GET", "PUT", "POST") else 405, "HTTP 404 Not Found")

    def _check(self, route: str, body: Any) -> tuple[str, str, dict[str, Any]]:
        """Validate one create request as the server does; returns (kind, fqn, body) or raises Refused."""
        kind, required, parent_key, parent_kind = ENTITY_ROUTES[route]
        _require(body, required, kind)
        if not isinstance(body["name"], str) or not body["name"]:
            raise Refused(400, "[name must not be empty]")
        if kind == "table":
            _check_columns(body["columns"])
        if body["name"] in self.refuse:
            status, message = self.refuse[body["name"]]
            raise Refused(status, message)
        if parent_key is None:
            return kind, fqn_join(body["name"]), body
        assert parent_kind is not None
        parent = body[parent_key]
        if parent not in self.entities[parent_kind]:
            raise Refused(404, f"{parent_kind} instance for {parent} not found")
        return kind, f"{parent}.{fqn_join(body['name'])}", body

    def _store(self, kind: str, fqn: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        existing = self.entities[kind].get(fqn)
        entity_id = existing["id"] if existing else str(uuid.uuid4())
        entity = {**body, "id": entity_id, "fullyQualifiedName": fqn, "version": 0.1}
        self.entities[kind][fqn] = entity
        self.by_id[entity_id] = (kind, fqn)
        return (200 if existing else 201), entity

    def _create_or_update(self, route: str, body: Any) -> tuple[int, Any]:
        with self._lock:
            return self._store(*self._check(route, body))

    def _bulk(self, route: str, body: Any) -> dict[str, Any]:
        """OpenMetadata 1.13's bulk create-or-update: every item has its own outcome."""
        if not isinstance(body, list):
            raise Refused(400, "bulk request body must be a JSON list of create requests")
        passed, failed = [], []
        with self._lock:
            for item in body:
                try:
                    kind, fqn, checked = self._check(route, item)
                except Refused as exc:
                    failed.append({"request": _guess_fqn(route, item), "message": exc.message})
                    continue
                self._store(kind, fqn, checked)
                passed.append({"request": fqn, "message": "Entity created or updated"})
        status = "success" if not failed else ("failure" if not passed else "partialSuccess")
        return {
            "dryRun": False, "status": status, "numberOfRowsProcessed": len(body),
            "numberOfRowsPassed": len(passed), "numberOfRowsFailed": len(failed),
            "successRequest": passed, "failedRequest": failed,
        }

    def _table_fqn(self, table_id: str) -> str:
        kind_fqn = self.by_id.get(table_id)
        if kind_fqn is None or kind_fqn[0] != "table":
            raise Refused(404, f"table instance for {table_id} not found")
        return kind_fqn[1]

    def _on_table(self, table_id: str, what: str, body: Any) -> tuple[int, Any]:
        fqn = self._table_fqn(table_id)
        if what == "tableProfile":
            _require(body, ("tableProfile",), "CreateTableProfileRequest")
            _require(body["tableProfile"], ("timestamp", "rowCount"), "tableProfile")
            for column in body.get("columnProfile", []):
                _require(column, ("name", "timestamp"), "columnProfile")
            self.profiles.setdefault(fqn, []).append(body)
        else:
            _require(body, ("columns", "rows"), "TableData")
            self.samples[fqn] = body
        return 200, self.entities["table"][fqn]

    def _reference(self, reference: Any, where: str) -> str:
        _require(reference, ("id", "type"), where)
        return self._table_fqn(reference["id"])

    def _lineage(self, body: Any) -> tuple[int, Any]:
        _require(body, ("edge",), "AddLineageRequest")
        _require(body["edge"], ("fromEntity", "toEntity"), "edge")
        ends = [self._reference(body["edge"][end], end) for end in ("fromEntity", "toEntity")]
        self.lineage.append({"from": ends[0], "to": ends[1], "body": body})
        return 200, {"entity": {"fullyQualifiedName": ends[1]}}

    def _query(self, body: Any) -> tuple[int, Any]:
        _require(body, ("query", "service"), "CreateQueryRequest")
        if body["service"] not in self.entities["databaseService"]:
            raise Refused(404, f"databaseService instance for {body['service']} not found")
        used = [self._reference(reference, "queryUsedIn") for reference in body.get("queryUsedIn", [])]
        self.queries[body["query"]] = {**body, "tables": used}
        return 200, {**body, "id": str(uuid.uuid4())}


def _require(body: Any, keys: tuple[str, ...], what: str) -> None:
    if not isinstance(body, dict):
        raise Refused(400, f"{what}: expected a JSON object")
    missing = [key for key in keys if body.get(key) is None]
    if missing:
        raise Refused(400, f"{what}: [{missing[0]} must not be null]")


def _check_columns(columns: Any) -> None:
    if not isinstance(columns, list):
        raise Refused(400, "[columns must not be null]")
    for column in columns:
        _require(column, ("name", "dataType"), "column")
        _check_columns(column.get("children", []))


def _guess_fqn(route: str, item: Any) -> Any:
    """What a failed bulk item is reported as: its fqn when it can be told, else the request itself."""
    _, _, parent_key, _ = ENTITY_ROUTES[route]
    if isinstance(item, dict) and isinstance(item.get("name"), str) and parent_key and item.get(parent_key):
        return f"{item[parent_key]}.{fqn_join(item['name'])}"
    return item


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    om: OpenMetadataTestServer

    def handle_error(self, request: Any, client_address: Any) -> None:  # a client that went away: not news
        import traceback

        self.om.server_errors.append(traceback.format_exc(limit=3))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
    om: OpenMetadataTestServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle waits
        with self.om._lock:
            self.om.connections += 1

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        om = self.om
        with om._lock:
            om.requests.append((method, url.path))
        fault = om._take_fault(method, url.path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:  # no answer at all: the client sees the connection end
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.status is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                answer = {"code": fault.status, "message": fault.message or "injected"}
                self._send(fault.status, answer if fault.raw is None else fault.raw, headers)
                return
        status, answer = self._answer(method, url, raw)
        self._send(status, answer, {"Connection": "close"} if fault is not None and fault.close else {})

    def _answer(self, method: str, url: urllib.parse.SplitResult, raw: bytes) -> tuple[int, Any]:
        if not url.path.startswith("/api/"):
            return 404, {"code": 404, "message": "HTTP 404 Not Found"}
        route = url.path[len("/api"):]
        if route == "/v1/system/version" and method == "GET":  # as on the real server, no token needed
            return 200, {"version": "1.13.0", "revision": "loopback", "timestamp": int(time.time() * 1000)}
        given = self.headers.get("Authorization")
        if given != f"Bearer {self.om.token}":
            message = "Not Authorized! Token verification failed"
            if self.om.echo_token:
                message += f" for header {given!r}"
            return 401, {"code": 401, "message": message}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"code": 400, "message": "Unable to process JSON"}
        try:
            return self.om.answer(method, route, urllib.parse.parse_qs(url.query), body)
        except Refused as exc:
            message = exc.message + (f" (request had Authorization {given!r})" if self.om.echo_token else "")
            return exc.status, {"code": exc.status, "message": message}

    def _send(self, status: int, answer: Any, headers: dict[str, str]) -> None:
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            if headers.get("Connection") == "close" or self.headers.get("Connection") == "close":
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout): nobody to answer
            self.close_connection = True

