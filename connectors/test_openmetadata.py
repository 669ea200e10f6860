"""OpenMetadataSink and OpenMetadataBulkSink against the loopback stand-in for OpenMetadata's API."""

import email.utils
import inspect
import json
import logging
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

import minigest
from connectors.models import (
    Column,
    ColumnProfile,
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
from connectors.openmetadata import OpenMetadataBulkSink, OpenMetadataSink, RequestFailed
from connectors.outputs import FileStage, parse_staging_line
from connectors.testing_openmetadata_server import OpenMetadataTestServer
from minigest import ConfigError, ListSource, Workflow, WorkflowFatalError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "connectors" / "samples"
TOKEN = f"jwt-{uuid.uuid4().hex}"  # unique, so finding it anywhere in an output can only mean a leak


@pytest.fixture
def server() -> Iterator[OpenMetadataTestServer]:
    with OpenMetadataTestServer(token=TOKEN) as running:
        yield running


def catalog(tables: int = 3, schema: str = "default", columns: int = 2) -> list[Any]:
    """A service, a database, a schema and its tables, in the order a source yields them."""
    service = DatabaseService(name="svc")
    database = Database(name="sales", service=service.fqn)
    schema_entity = DatabaseSchema(name=schema, database=database.fqn)
    return [service, database, schema_entity] + [
        Table(
            name=f"t{number}",
            database_schema=schema_entity.fqn,
            columns=[Column(name=f"c{index}", data_type="INT") for index in range(columns)],
        )
        for number in range(tables)
    ]


def make_sink(server: OpenMetadataTestServer, waits: Optional[list[float]] = None, **options: Any) -> OpenMetadataSink:
    config = {"host_port": server.host_port, "jwt_token": TOKEN, "retry_wait": 0.01, **options}
    sink = OpenMetadataSink.create(config)
    sink.client.sleep = (waits if waits is not None else []).append  # record the waits, do not wait
    return sink


def run(records: list[Any], sink: Any) -> Workflow:
    workflow = Workflow(ListSource(records), [sink])
    workflow.execute()
    return workflow


def staged(tmp_path: Path, records: list[Any]) -> Path:
    path = tmp_path / "staging.jsonl"
    Workflow(ListSource(records), [FileStage(str(path))]).execute()
    return path


def make_bulk_sink(server: OpenMetadataTestServer, staging: Path, **options: Any) -> OpenMetadataBulkSink:
    config = {"staging_file": str(staging), "host_port": server.host_port, "jwt_token": TOKEN, "retry_wait": 0.01}
    sink = OpenMetadataBulkSink.create({**config, **options})
    sink.client.sleep = lambda seconds: None
    return sink


def errors(step: Any) -> list[str]:
    return [failure.error for failure in step.status.failures]


# --- Create or update, at each entity's route -------------------------------


def test_sink_puts_each_entity_at_its_route_with_its_create_request(server: OpenMetadataTestServer) -> None:
    records = catalog(tables=2)
    sink = make_sink(server)
    run(records, sink)
    assert sink.status.records == 5 and sink.status.failure_count == 0
    assert [request for request in server.requests] == [
        ("PUT", "/api/v1/services/databaseServices"), ("PUT", "/api/v1/databases"),
        ("PUT", "/api/v1/databaseSchemas"), ("PUT", "/api/v1/tables"), ("PUT", "/api/v1/tables"),
    ]
    stored = server.entities["table"]["svc.sales.default.t1"]
    assert {key: stored[key] for key in records[4].to_dict()} == records[4].to_dict()
    assert server.fqns("database") == {"svc.sales"} and server.fqns("databaseSchema") == {"svc.sales.default"}


def test_a_rerun_updates_instead_of_duplicating(server: OpenMetadataTestServer) -> None:
    run(catalog(tables=2), make_sink(server))
    first_ids = {fqn: body["id"] for fqn, body in server.entities["table"].items()}
    run(catalog(tables=2), make_sink(server))
    assert {fqn: body["id"] for fqn, body in server.entities["table"].items()} == first_ids


def test_profiles_samples_lineage_usage_and_queries_go_to_their_routes_with_ids(
    server: OpenMetadataTestServer,
) -> None:
    tables = catalog(tables=2)
    first, second = tables[3].fqn, tables[4].fqn
    profile = TableProfile(table_fqn=first, timestamp=1_700_000_000_000, row_count=3, column_count=2,
                           columns=[ColumnProfile(name="c0", values_count=3, null_count=0)])
    others = [
        profile,
        SampleData(table_fqn=first, columns=("c0", "c1"), rows=[[1, 2], [3, 4]]),
        LineageEdge(from_fqn=first, to_fqn=second, sql="insert into t1 select * from t0"),
        TableUsage(table_fqn=second, date="2024-05-01", count=7),
        Query(sql="select * from t0", service="svc", table_fqns=(first,)),
    ]
    sink = make_sink(server)
    run(tables + others, sink)
    assert sink.status.failure_count == 0, errors(sink)
    first_id = server.entities["table"][first]["id"]
    assert ("PUT", f"/api/v1/tables/{first_id}/tableProfile") in server.requests
    assert ("PUT", f"/api/v1/tables/{first_id}/sampleData") in server.requests
    assert ("POST", f"/api/v1/usage/table/{server.entities['table'][second]['id']}") in server.requests
    assert server.profiles[first] == [profile.to_dict()]
    assert server.samples[first] == {"columns": ["c0", "c1"], "rows": [[1, 2], [3, 4]]}
    assert [(edge["from"], edge["to"]) for edge in server.lineage] == [(first, second)]
    assert server.usage[second] == [{"date": "2024-05-01", "count": 7}]
    assert server.queries["select * from t0"]["tables"] == [first]
    assert server.count("GET", "/api/v1/tables/name/") == 0  # the ids came from the PUT answers


def test_table_ids_are_looked_up_by_name_once(server: OpenMetadataTestServer) -> None:
    tables = catalog(tables=1, schema="odd.schema")  # a dotted name: quoted in the fqn, escaped in the URL
    run(tables, make_sink(server))
    fqn = tables[3].fqn
    later: list[Any] = [TableUsage(table_fqn=fqn, date=f"2024-05-0{day}", count=day) for day in range(1, 4)]
    later.append(SampleData(table_fqn=fqn, columns=("c0",), rows=[[1]]))
    sink = make_sink(server)  # a new run: it knows no ids yet
    run(later, sink)
    assert sink.status.records == 4 and sink.status.failure_count == 0
    assert server.count("GET", "/api/v1/tables/name/") == 1
    assert len(server.usage[fqn]) == 3


def test_a_profile_of_a_table_the_server_does_not_have_fails_saying_so(server: OpenMetadataTestServer) -> None:
    sink = make_sink(server)
    profile = TableProfile(table_fqn="svc.sales.default.missing", timestamp=1, row_count=0, column_count=0)
    run([profile, TableUsage(table_fqn="svc.sales.default.missing", date="2024-05-01", count=1)], sink)
    assert sink.status.failure_count == 2
    assert sink.status.failures[0].name == "svc.sales.default.missing"
    assert "table svc.sales.default.missing is not in OpenMetadata" in sink.status.failures[0].error


def test_contents_are_filtered_with_a_reason_not_failed(server: OpenMetadataTestServer, tmp_path: Path) -> None:
    contents = Contents(parent_fqn="svc.sales.default", kind="table", names=("t0",))
    sink = make_sink(server)
    run([*catalog(tables=1), contents], sink)
    assert (sink.status.records, sink.status.filtered, sink.status.failure_count) == (4, 1, 0)
    assert sink.status.filtered_details[0][0] == "svc.sales.default"
    assert "marks deleted entities itself" in sink.status.filtered_details[0][1]
    bulk = make_bulk_sink(server, staged(tmp_path, [*catalog(tables=1), contents]))
    bulk.run()
    assert (bulk.status.records, bulk.status.filtered, bulk.status.failure_count) == (4, 1, 0)


def test_a_record_the_sink_cannot_publish_is_one_failure(server: OpenMetadataTestServer) -> None:
    sink = make_sink(server)
    run([{"not": "an entity"}, *catalog(tables=1)], sink)
    assert sink.status.records == 4
    assert errors(sink) == ["the OpenMetadata sink cannot publish a dict"]


# --- Batches ----------------------------------------------------------------


def test_bulk_sink_sends_runs_of_one_kind_through_the_bulk_routes(
    server: OpenMetadataTestServer, tmp_path: Path
) -> None:
    records = catalog(tables=5)
    sink = make_bulk_sink(server, staged(tmp_path, records), batch_size=2)
    sink.run()
    assert (sink.status.records, sink.status.failure_count) == (8, 0)
    assert server.fqns("table") == {table.fqn for table in records[3:]}
    assert server.requests == [  # parents are stored before their children's batch is sent
        ("PUT", "/api/v1/services/databaseServices"), ("PUT", "/api/v1/databases"),
        ("PUT", "/api/v1/databaseSchemas"), ("PUT", "/api/v1/tables/bulk"), ("PUT", "/api/v1/tables/bulk"),
        ("PUT", "/api/v1/tables"),  # the last table alone: a batch of one is a plain PUT
    ]


def test_the_bulk_sink_publishes_what_its_own_stage_committed(server: OpenMetadataTestServer, tmp_path: Path) -> None:
    staging = tmp_path / "staging.jsonl"
    (tmp_path / "other").mkdir()
    other_job = staged(tmp_path / "other", catalog(tables=1, schema="someone_elses"))

    class SharedPath(FileStage):
        def commit(self) -> None:
            super().commit()
            shutil.copy(other_job, staging.with_name("incoming"))
            (staging.with_name("incoming")).replace(staging)  # another job renames its file over ours

    sink = make_bulk_sink(server, staging)
    Workflow(ListSource(catalog(tables=2)), [SharedPath(staging)], sink).execute()
    assert sink.status.failure_count == 0
    assert server.fqns("table") == {"svc.sales.default.t0", "svc.sales.default.t1"}  # ours, not the other job's


def test_a_kind_change_flushes_the_batch_so_parents_exist(server: OpenMetadataTestServer, tmp_path: Path) -> None:
    first, second = catalog(tables=2, schema="a"), catalog(tables=2, schema="b")
    records = [*first, second[2], *second[3:]]  # schema a, its tables, schema b, its tables
    sink = make_bulk_sink(server, staged(tmp_path, records), batch_size=100)
    sink.run()
    assert (sink.status.records, sink.status.failure_count) == (8, 0)
    assert server.count("PUT", "/api/v1/tables/bulk") == 2


def test_each_bulk_item_is_counted_on_its_own_record(server: OpenMetadataTestServer, tmp_path: Path) -> None:
    server.refuse["t2"] = (400, "[columns[0].dataType must be a valid DataType]")
    records = catalog(tables=4)
    sink = make_bulk_sink(server, staged(tmp_path, records), batch_size=10)
    sink.run()
    assert (sink.status.records, sink.status.failure_count) == (6, 1)
    failure = sink.status.failures[0]
    assert failure.name == "svc.sales.default.t2"
    assert "svc.sales.default.t2" in failure.error and "must be a valid DataType" in failure.error
    assert server.count("PUT", "/api/v1/tables/bulk") == 1
    assert server.fqns("table") == {"svc.sales.default.t0", "svc.sales.default.t1", "svc.sales.default.t3"}


def test_tables_of_a_refused_schema_fail_saying_so_in_bulk(server: OpenMetadataTestServer, tmp_path: Path) -> None:
    server.refuse["broken"] = (400, "[name must match \"^((?!::).)*$\"]")
    records = [*catalog(tables=2), *catalog(tables=2, schema="broken")[2:]]
    sink = make_bulk_sink(server, staged(tmp_path, records), batch_size=10)
    sink.run()
    assert sink.status.records == 5 and sink.status.failure_count == 3
    schema_error, *table_errors = errors(sink)
    assert "schema svc.sales.broken was not stored" in schema_error and "must match" in schema_error
    for error in table_errors:  # the server says "not found"; the sink says why
        assert "databaseSchema instance for svc.sales.broken not found" in error
        assert "its schema svc.sales.broken was refused earlier" in error and "must match" in error


def test_tables_of_a_refused_schema_fail_saying_so_one_by_one(server: OpenMetadataTestServer) -> None:
    server.refuse["broken"] = (400, "schema refused for this test")
    sink = make_sink(server)
    run(catalog(tables=2, schema="broken"), sink)
    assert sink.status.records == 2
    assert len(errors(sink)) == 3
    assert all("its schema svc.sales.broken was refused earlier: the server answered 400" in error
               and "schema refused for this test" in error for error in errors(sink)[1:])


def test_without_bulk_routes_it_falls_back_to_one_put_per_entity(tmp_path: Path) -> None:
    with OpenMetadataTestServer(token=TOKEN, bulk=False) as old_server:
        records = [*catalog(tables=5), *catalog(tables=3, schema="other")[2:]]
        sink = make_bulk_sink(old_server, staged(tmp_path, records), batch_size=2)
        sink.run()
        assert (sink.status.records, sink.status.failure_count) == (len(records), 0)
        assert old_server.fqns("table") == {record.fqn for record in records if isinstance(record, Table)}
        assert old_server.count("PUT", "/api/v1/tables/bulk") == 1  # tried once, then never again
        assert old_server.count("PUT", "/api/v1/tables") == 1 + 8


def test_a_bulk_request_that_fails_after_its_retries_fails_each_item(
    server: OpenMetadataTestServer, tmp_path: Path
) -> None:
    records = catalog(tables=3)
    sink = make_bulk_sink(server, staged(tmp_path, records), batch_size=10, retries=1)
    server.inject(status=503, times=2, path="/tables/bulk", message="overloaded")
    sink.run()
    assert [failure.name for failure in sink.status.failures] == [table.fqn for table in records[3:]]
    assert all("503" in error and "overloaded" in error and "gave up after 2 attempts" in error
               for error in errors(sink))


def test_bulk_sink_reports_bad_staging_lines_and_a_missing_file(
    server: OpenMetadataTestServer, tmp_path: Path
) -> None:
    staging = staged(tmp_path, catalog(tables=1))
    staging.write_text(staging.read_text() + "{not json\n", encoding="utf-8")
    sink = make_bulk_sink(server, staging)
    sink.run()
    assert sink.status.records == 4
    assert errors(sink)[0].startswith(f"{staging}, line 5: not JSON")
    missing = make_bulk_sink(server, tmp_path / "nothing.jsonl")
    missing.run()
    assert "does not exist (did the stage run?)" in errors(missing)[0]


# --- Faults -----------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_busy_answers_are_retried_with_exponential_backoff(server: OpenMetadataTestServer, status: int) -> None:
    waits: list[float] = []
    sink = make_sink(server, waits, retries=3, retry_wait=0.01)
    server.inject(status=status, times=3, path="/v1/tables")
    run(catalog(tables=2), sink)
    assert (sink.status.records, sink.status.failure_count) == (5, 0)
    assert waits == [0.01, 0.02, 0.04]
    assert server.count("PUT", "/api/v1/tables") == 3 + 2


def test_retry_after_is_honoured_and_bounded(server: OpenMetadataTestServer) -> None:
    waits: list[float] = []
    sink = make_sink(server, waits, retry_wait=0.01)
    server.inject(status=429, retry_after="3", times=1, path="/v1/tables")
    server.inject(status=503, retry_after="3600", times=1, path="/v1/tables")
    sink.client.max_wait = 5.0
    run(catalog(tables=1), sink)
    assert sink.status.failure_count == 0
    assert waits == [3.0, 5.0]


def test_retries_spent_fail_that_record_only(server: OpenMetadataTestServer) -> None:
    sink = make_sink(server, retries=2)
    server.inject(status=503, times=3, path="/v1/tables", message="Service Unavailable")
    run(catalog(tables=2), sink)
    assert sink.status.records == 4
    assert sink.status.failures[0].name == "svc.sales.default.t0"
    assert "503" in errors(sink)[0] and "gave up after 3 attempts" in errors(sink)[0]


@pytest.mark.parametrize("reused", [False, True])
def test_a_dropped_connection_is_retried_on_a_new_one(server: OpenMetadataTestServer, reused: bool) -> None:
    sink = make_sink(server)
    server.inject(drop=True, times=1, path="/v1/services" if not reused else "/v1/tables")
    run(catalog(tables=2), sink)
    assert (sink.status.records, sink.status.failure_count) == (5, 0)
    assert sink.client.connections_opened == 2 == server.connections


def test_a_connection_the_server_closes_is_reopened(server: OpenMetadataTestServer) -> None:
    sink = make_sink(server)
    server.inject(close=True, times=1, path="/v1/databases")
    run(catalog(tables=3), sink)
    assert (sink.status.records, sink.status.failure_count) == (6, 0)
    assert sink.client.connections_opened == 2


def test_a_timeout_is_retried_then_fails_the_record(server: OpenMetadataTestServer) -> None:
    sink = make_sink(server, timeout=0.2, retries=1)
    server.inject(delay=0.6, times=1, path="/tableProfile")  # the profile's first try is slow, the second fine
    tables = catalog(tables=1)
    profile = TableProfile(table_fqn=tables[3].fqn, timestamp=1, row_count=1, column_count=2)
    run([*tables, profile], sink)
    assert (sink.status.records, sink.status.failure_count) == (5, 0)
    slow = make_sink(server, timeout=0.2, retries=1)
    server.inject(delay=0.6, times=2, path="/tableProfile")
    run([profile, profile], slow)
    assert slow.status.records == 1
    assert errors(slow) == [
        f"profile of table {tables[3].fqn} was not stored: no answer within 0.2 s (gave up after 2 attempts)"
    ]


@pytest.mark.parametrize("status", [400, 404, 409])
def test_client_errors_fail_the_record_quoting_the_server(server: OpenMetadataTestServer, status: int) -> None:
    sink = make_sink(server)
    server.inject(status=status, times=1, path="/v1/tables", message=f"entity problem {status}")
    run(catalog(tables=2), sink)
    assert sink.status.records == 4
    [failure] = sink.status.failures
    assert failure.name == "svc.sales.default.t0"
    assert failure.error.startswith(f"table svc.sales.default.t0 was not stored in OpenMetadata: the server answered "
                                    f"{status}")
    assert f"entity problem {status}" in failure.error
    assert server.count("PUT", "/api/v1/tables") == 2  # not retried


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<html>OpenMetadata</html>", "something that is not JSON: is http://127.0.0.1"),
        (b'{"ok": true}', "the server's answer is not the stored entity (it has no id)"),
    ],
)
def test_a_success_that_is_not_the_stored_entity_is_a_failure(
    server: OpenMetadataTestServer, raw: bytes, message: str
) -> None:
    sink = make_sink(server)
    server.inject(status=200, raw=raw, times=1, path="/v1/tables")
    run(catalog(tables=2), sink)
    assert sink.status.records == 4
    assert message in errors(sink)[0] and errors(sink)[0].startswith("table svc.sales.default.t0 was not stored")


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_stop_the_run_at_once(server: OpenMetadataTestServer, status: int, tmp_path: Path) -> None:
    if status == 401:
        sink = OpenMetadataSink.create({"host_port": server.host_port, "jwt_token": "not-the-token"})
    else:
        sink = make_sink(server)
        server.inject(status=403, times=1, message="Principal is not allowed")
    workflow = Workflow(ListSource(catalog(tables=3)), [sink])
    with pytest.raises(WorkflowFatalError, match=f"refused the token \\({status}"):
        workflow.execute()
    assert len(server.requests) == 1
    bulk = make_bulk_sink(server, staged(tmp_path, catalog(tables=3)))
    server.inject(status=status, times=1)
    with pytest.raises(WorkflowFatalError, match="check the jwt_token option"):
        bulk.run()


def test_without_a_token_the_run_stops_saying_so(server: OpenMetadataTestServer) -> None:
    with pytest.raises(WorkflowFatalError, match="no jwt_token was given"):
        run(catalog(tables=1), OpenMetadataSink(host_port=server.host_port))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, 0.0), ("2", 2.0), ("0.5", 0.5), ("soon", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_is_read_as_seconds_or_a_date(header: Optional[str], seconds: float) -> None:
    from connectors.openmetadata import _retry_after

    assert _retry_after(header) == seconds
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < _retry_after(future) <= 30


def test_bulk_answers_that_echo_the_requests_are_matched_by_name() -> None:
    from connectors.openmetadata import OpenMetadataClient, _Publisher

    publisher = _Publisher(OpenMetadataClient("http://127.0.0.1:9/api", TOKEN))
    t0, t1, t2 = catalog(tables=3)[3:]
    answer = {
        "status": "partialSuccess",
        "successRequest": [{"request": {"name": "t0", "databaseSchema": "svc.sales.default"}}],
        "failedRequest": [{"request": {"name": "t1", "databaseSchema": "svc.sales.default"},
                           "message": f"bad column (token {TOKEN})"}],
    }
    first, second, third = publisher._bulk_outcomes([t0, t1, t2], answer)
    assert first.right is t0
    assert second.left is not None and "bad column (token ***)" in second.left.error
    assert third.left is not None and "does not say whether it was stored" in third.left.error


def test_test_connection_asks_the_version_and_reads_with_the_token(server: OpenMetadataTestServer) -> None:
    sink = make_sink(server)
    sink.test_connection()
    assert sink.server_version == "1.13.0"
    assert server.requests == [("GET", "/api/v1/system/version"), ("GET", "/api/v1/services/databaseServices")]
    with pytest.raises(WorkflowFatalError, match="refused the token"):
        OpenMetadataSink(host_port=server.host_port, jwt_token="wrong").test_connection()
    nowhere = OpenMetadataSink(host_port="http://127.0.0.1:9/api", jwt_token=TOKEN, retries=0)
    with pytest.raises(RequestFailed, match=r"cannot use OpenMetadata at http://127\.0\.0\.1:9/api"):
        nowhere.test_connection()


# --- Persistent connections -------------------------------------------------


def test_a_thousand_tables_use_one_connection(server: OpenMetadataTestServer, tmp_path: Path) -> None:
    records = catalog(tables=1000)
    sink = make_sink(server)
    run(records, sink)
    assert sink.status.records == 1003
    assert sink.client.connections_opened == 1 and server.connections == 1
    bulk = make_bulk_sink(server, staged(tmp_path, records), batch_size=1)  # one PUT per entity
    bulk.run()
    assert bulk.status.records == 1003
    assert bulk.client.connections_opened == 1 and server.connections == 2


# --- Options ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"host_port": "localhost:8585"}, "option 'host_port': expected a URL"),
        ({"host_port": "ftp://x/api"}, "option 'host_port'"),
        ({"host_port": "http://x/api", "timeout": 0}, "option 'timeout'"),
        ({"host_port": "http://x/api", "retries": -1}, "option 'retries'"),
        ({"host_port": "http://x/api", "ca_file": "/etc/hosts"}, "option 'ca_file': only used for https"),
        ({"host_port": "https://x/api", "ca_file": "/no/such/file.pem"}, "option 'ca_file'"),
        ({"host_port": "http://x/api", "jwt_token": " "}, "option 'jwt_token'"),
        ({"host_port": "http://x/api", "colour": "red"}, "colour"),
        ({"host_port": f"http://bot:{TOKEN}@x/api"}, "must not hold a user or password"),
    ],
)
def test_bad_options_are_config_errors_naming_the_option(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        OpenMetadataSink.create(options)
    assert TOKEN not in str(caught.value)


def test_bulk_options(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="option 'batch_size'"):
        OpenMetadataBulkSink.create({"staging_file": "s.jsonl", "host_port": "http://x/api", "batch_size": 0})
    with pytest.raises(ConfigError, match="staging_file"):
        OpenMetadataBulkSink.create({"host_port": "http://x/api"})


def test_building_a_sink_touches_no_network() -> None:
    sink = OpenMetadataSink.create({"host_port": "https://om.example.invalid:8585/api", "jwt_token": TOKEN})
    assert sink.client.connections_opened == 0 and sink.client.requests_sent == 0
    sink.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command line tool."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


def test_https_with_a_ca_file_without_verification_and_refused(certificate: tuple[str, str]) -> None:
    with OpenMetadataTestServer(token=TOKEN, tls=certificate) as tls_server:
        trusted = OpenMetadataSink(host_port=tls_server.host_port, jwt_token=TOKEN, ca_file=certificate[0])
        run(catalog(tables=1), trusted)
        assert trusted.status.records == 4 and trusted.client.connections_opened == 1
        unchecked = OpenMetadataSink(host_port=tls_server.host_port, jwt_token=TOKEN, verify_ssl=False)
        unchecked.test_connection()
        assert unchecked.server_version == "1.13.0"
        strict = OpenMetadataSink(host_port=tls_server.host_port, jwt_token=TOKEN)
        with pytest.raises(WorkflowFatalError, match=r"cannot verify the TLS certificate of https://127\.0\.0\.1"):
            run(catalog(tables=1), strict)


# --- The token is a secret --------------------------------------------------


def sink_config(server: OpenMetadataTestServer, tmp_path: Path) -> Path:
    config = {
        "source": {
            "type": "connectors.csv_connector.CsvConnector",
            "service_name": "catalog",
            "options": {"source_directory": str(SAMPLES / "catalog.csv"), "business_unit": "sales"},
        },
        "sink": {
            "type": "connectors.openmetadata.OpenMetadataSink",
            "options": {"host_port": server.host_port, "jwt_token": TOKEN, "retries": 1, "retry_wait": 0},
        },
    }
    path = tmp_path / "om.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.mark.parametrize("server_token", [TOKEN, "another-token"])
def test_the_token_never_appears_in_any_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, server_token: str
) -> None:
    caplog.set_level(logging.DEBUG)
    with OpenMetadataTestServer(token=server_token, echo_token=True) as echoing:
        echoing.refuse["orders"] = (400, "bad table")  # a failure whose server message echoes the token
        echoing.inject(status=503, times=1, path="/v1/tables")  # a retry, logged
        config = sink_config(echoing, tmp_path)
        status_file, failures = tmp_path / "status.json", tmp_path / "failures.jsonl"
        code = minigest.main(["run", str(config), "--trace", "--status-file", str(status_file),
                              "--failures", str(failures)])
        out, err = capsys.readouterr()
        workflow = Workflow.from_file(config)
        sink = workflow.steps[-1]
        assert isinstance(sink, OpenMetadataSink)
        caught: pytest.ExceptionInfo[Exception]
        if server_token == TOKEN:
            assert code == 1 and "bad table" in out and "***" in out  # the echoed token was blanked
            with pytest.raises(RequestFailed) as caught:
                sink.client.request("PUT", "/v1/tables", {"name": "orders"})
        else:
            assert code == 1 and "refused the token" in err
            with pytest.raises(WorkflowFatalError) as caught:
                sink.test_connection()
        outputs = [out, err, status_file.read_text(), failures.read_text(), caplog.text, str(caught.value),
                   repr(caught.value), repr(sink), repr(sink.client), str(vars(sink)), str(vars(sink.client))]
    assert all(TOKEN not in text for text in outputs)
    assert any("bad table" in text or "refused the token" in text for text in outputs)


# --- The sample configs, published ------------------------------------------


def absolute(value: Any, folder: Path) -> Any:
    """A sample's relative paths, made absolute whether they are written from the repo or the config."""
    if isinstance(value, list):
        return [absolute(item, folder) for item in value]
    if isinstance(value, str) and not value.startswith("${"):
        for base in (Path.cwd(), folder, ROOT):  # the current folder first: a sample database built there
            if (base / value).exists():
                return str(base / value)
    return value


def published(config: dict[str, Any], folder: Path, server: OpenMetadataTestServer, tmp_path: Path,
              how: str) -> dict[str, Any]:
    source = dict(config["source"])
    source["options"] = {key: absolute(value, folder) for key, value in source.get("options", {}).items()}
    options = {"host_port": server.host_port, "jwt_token": TOKEN, "retry_wait": 0}
    built = {key: value for key, value in config.items() if key not in ("sink", "stage", "bulk_sink")}
    built["source"] = source
    if how == "sink":
        built["sink"] = {"type": "connectors.openmetadata.OpenMetadataSink", "options": options}
    else:
        staging = str(tmp_path / "staging.jsonl")
        built["stage"] = {"type": "connectors.outputs.FileStage", "options": {"staging_file": staging}}
        built["bulk_sink"] = {"type": "connectors.openmetadata.OpenMetadataBulkSink",
                              "options": {**options, "staging_file": staging, "batch_size": 2}}
    return built


SAMPLE_CONFIGS = sorted(path for path in SAMPLES.iterdir() if path.suffix in (".json", ".toml", ".yaml"))


@pytest.mark.parametrize("how", ["sink", "bulk_sink"])
@pytest.mark.parametrize("sample", SAMPLE_CONFIGS, ids=[path.name for path in SAMPLE_CONFIGS])
def test_each_sample_config_publishes_into_the_server(
    server: OpenMetadataTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: Path, how: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OM_TOKEN", "sample-token")  # the OpenMetadata sample reads its token from the environment
    if sample.name.startswith("sqlite_"):  # the sample database is built from its SQL, not kept in the repo
        from connectors.samples.sqlite_build import build

        build(tmp_path / "sqlite_shop.db", SAMPLES / "sqlite_shop.sql")
    loaded = minigest.load_config(sample)
    role = loaded["source"].get("kind", "metadata")
    if role != "metadata":  # a profile or a sample lands on a table: publish the metadata run first
        source = {key: value for key, value in loaded["source"].items() if key != "kind"}
        accepted = inspect.signature(minigest.import_class(source["type"])).parameters  # the metadata role's
        source["options"] = {key: value for key, value in source["options"].items() if key in accepted}
        metadata = dict(loaded, source=source)
        Workflow.create(published(metadata, sample.parent, server, tmp_path, "sink"), origin=str(sample)).execute()
    config = published(loaded, sample.parent, server, tmp_path, how)
    workflow = Workflow.create(config, origin=str(sample))
    collected = minigest.collect(workflow)
    publisher = workflow.bulk_sink if how == "bulk_sink" else workflow.steps[-1]
    assert publisher is not None
    assert publisher.status.failure_count == 0, errors(publisher)
    if role != "metadata":
        assert publisher.status.records == len(collected.rights) > 0  # one record each, on a published table
        return
    if how == "sink":
        sent = collected.rights
    else:
        lines = (tmp_path / "staging.jsonl").read_text(encoding="utf-8").splitlines()
        sent = [parse_staging_line(line) for line in lines]
    tables = {entity.fqn for entity in sent if isinstance(entity, Table)}
    assert tables and server.fqns("table") == tables
    assert publisher.status.records == len([entity for entity in sent if not isinstance(entity, Contents)])
    if how == "bulk_sink" and len(tables) > 1:
        assert server.count("PUT", "/api/v1/tables/bulk") == len(tables) // 2


def test_the_readme_shows_the_openmetadata_sample_config_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("## Publishing to OpenMetadata", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert json.loads(shown) == json.loads((SAMPLES / "csv_catalog_openmetadata.json").read_text(encoding="utf-8"))


def test_the_openmetadata_sample_publishes_with_the_token_from_the_environment(
    server: OpenMetadataTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OM_TOKEN", TOKEN)
    config = minigest.load_config(SAMPLES / "csv_catalog_openmetadata.json")
    options = config["bulk_sink"]["options"]
    if options["jwt_token"] != TOKEN:
        pytest.skip("this minigest does not substitute ${VAR} in configs yet")
    staging = str(tmp_path / "staging.jsonl")
    options.update(host_port=server.host_port, staging_file=staging)
    config["stage"]["options"]["staging_file"] = staging
    config["source"]["options"] = {key: absolute(value, SAMPLES) for key, value in config["source"]["options"].items()}
    workflow = Workflow.create(config)
    workflow.execute()
    assert workflow.result_status() == 0
    assert server.fqns("table") == {"sample_catalog.sales.default.customers", "sample_catalog.sales.default.orders",
                                    'sample_catalog.sales.default."shipping.events"'}
