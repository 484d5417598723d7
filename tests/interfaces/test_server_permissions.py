"""Writes only for those allowed (#14): JSON only, same origin only, a token beyond loopback.

Real servers (``standards-kernel serve`` in a subprocess) for what HTTP decides; the guard's
checks on their own for the rules and a property (any headers at all: an answer, never a crash).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel.errors import KernelError
from standards_kernel.interfaces.server.guard import (ENV_TOKEN, Permissions, check, is_loopback_host, read_token,
                                                      same_origin, token_digest)
from tests.helpers.server import YUANJIANG, Server, free_port, running_server, submission_json

JSON = {"content-type": "application/json"}
TOKEN = "s3cret-token-for-the-tests-0123456789"


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{slug}" and body["status"] == status and body["detail"]
    return body


def record(server: Server, **headers: str) -> httpx.Response:
    return server.client.post("/v1/evaluations", params={"record": "true"}, content=submission_json(YUANJIANG),
                              headers=headers)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    ledger = tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"
    with running_server("--ledger", str(ledger), "--allow-host", "proxy.internal") as running:
        yield running


# --- content types -----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml", "application/jsonx",
                                          "application/json; charset=latin-1", "application/json; charset=gbk"])
def test_a_recording_post_must_be_json_in_utf8(server: Server, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    if content_type is None:  # httpx adds none for raw content; say so explicitly
        assert "content-type" not in server.client.build_request("POST", "/", content=b"{}").headers
    body = problem(record(server, **headers), 415, "unsupported-media-type")
    assert "application/json" in body["hint"]


def test_json_records_and_so_does_json_with_utf8(server: Server) -> None:
    first = record(server, **JSON)
    assert first.status_code == 201, first.text
    again = record(server, **{"content-type": "Application/JSON; Charset=\"UTF-8\""})
    assert again.status_code == 201 and again.json()["decision_id"] == first.json()["decision_id"]


def test_reads_and_unrecorded_evaluations_take_any_content_type(server: Server) -> None:
    # Only recording writes: a plain evaluation is a computation, answered as before.
    response = server.client.post("/v1/evaluations", content=submission_json(YUANJIANG),
                                  headers={"content-type": "text/plain"})
    assert response.status_code == 200
    # record=false, or a value that is not true, is no recording (and a bad value is the framework's 400).
    assert server.client.post("/v1/evaluations", params={"record": "false"}, content=submission_json(YUANJIANG),
                              headers={"content-type": "text/plain"}).status_code == 200
    problem(server.client.post("/v1/evaluations", params={"record": "maybe"}, content=b"{}",
                               headers={"content-type": "text/plain"}), 400, "invalid-parameter")


# --- origins and hosts -------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {"origin": "http://evil.example"},
    {"origin": "null"},
    {"origin": "http://127.0.0.1:1"},  # another port is another origin
    {"origin": "http://localhost"},  # the server's port is not 80
    {"sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "same-site"},
], ids=lambda h: next(iter(h.values())))
def test_a_write_from_another_origin_is_403(server: Server, headers: dict[str, str]) -> None:
    body = problem(record(server, **JSON, **headers), 403, "forbidden-origin")
    assert body["instance"] == "/v1/evaluations"
    # Any POST, recording or not: a page elsewhere may not spend this server's time either.
    problem(server.client.post("/v1/evaluations", content=submission_json(YUANJIANG), headers={**JSON, **headers}),
            403, "forbidden-origin")


def test_the_servers_own_origin_may_write(server: Server) -> None:
    own = {"origin": server.url, "sec-fetch-site": "same-origin"}
    assert record(server, **JSON, **own).status_code == 201
    localhost = {"origin": f"http://localhost:{server.port}", "host": f"localhost:{server.port}"}
    assert record(server, **JSON, **localhost).status_code == 201


def test_reads_from_another_origin_stay_open(server: Server) -> None:
    assert server.client.get("/v1/standards", headers={"origin": "http://evil.example",
                                                       "sec-fetch-site": "cross-site"}).status_code == 200


def test_a_loopback_server_answers_loopback_names_only(server: Server) -> None:
    # DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 is same-origin with
    # itself, so only the Host header tells it apart.
    body = problem(server.client.get("/v1/health", headers={"host": f"evil.example:{server.port}"}),
                   403, "forbidden-origin")
    assert "evil.example" in body["detail"] and "--allow-host" in body["hint"]
    rebinding = {"host": f"evil.example:{server.port}", "origin": f"http://evil.example:{server.port}"}
    problem(record(server, **JSON, **rebinding), 403, "forbidden-origin")
    for host in (f"localhost:{server.port}", f"[::1]:{server.port}", "127.5.5.5", "app.localhost",
                 "proxy.internal:8080"):  # the last one by --allow-host
        assert server.client.get("/v1/health", headers={"host": host}).status_code == 200, host


# --- the token ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def beyond_loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server listening on every address (0.0.0.0) with a token file; the tests reach it on loopback."""
    folder = tmp_path_factory.mktemp("exposed")
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n", "utf-8")
    with running_server("--host", "0.0.0.0", "--ledger", str(folder / "ledger.sqlite3"),
                        "--token-file", str(token_file)) as running:
        yield running


def test_beyond_loopback_recording_needs_the_token(beyond_loopback: Server) -> None:
    missing = record(beyond_loopback, **JSON)
    problem(missing, 401, "token-required")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    problem(record(beyond_loopback, **JSON, authorization="Bearer not-the-token"), 401, "token-required")
    problem(record(beyond_loopback, **JSON, authorization=f"Basic {TOKEN}"), 401, "token-required")
    problem(record(beyond_loopback, **JSON, authorization=f"Bearer {TOKEN}x"), 401, "token-required")
    assert record(beyond_loopback, **JSON, authorization=f"Bearer {TOKEN}").status_code == 201
    # The token does not excuse a body that is not JSON.
    problem(record(beyond_loopback, authorization=f"Bearer {TOKEN}"), 415, "unsupported-media-type")


def test_beyond_loopback_reads_and_evaluations_stay_open(beyond_loopback: Server) -> None:
    assert beyond_loopback.client.get("/v1/health", headers={"host": "county-server.lan"}).status_code == 200
    assert beyond_loopback.client.post("/v1/evaluations", content=submission_json(YUANJIANG)).status_code == 200


def test_beyond_loopback_without_a_token_nothing_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_TOKEN, raising=False)  # the server process inherits this environment
    with running_server("--host", "0.0.0.0", "--ledger", str(tmp_path / "l.sqlite3")) as server:
        body = problem(record(server, **JSON, authorization=f"Bearer {TOKEN}"), 401, "token-required")
        assert "no API token" in body["detail"] and "--token-file" in body["hint"]
        assert "no API token is configured" in server.log_text()


def test_a_token_from_the_environment_guards_a_loopback_server_too(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_TOKEN, TOKEN)
    with running_server("--ledger", str(tmp_path / "l.sqlite3")) as server:
        problem(record(server, **JSON), 401, "token-required")
        assert record(server, **JSON, authorization=f"bearer {TOKEN}").status_code == 201


def test_loopback_without_a_token_records_without_one(server: Server) -> None:
    assert record(server, **JSON).status_code == 201


@pytest.mark.parametrize("content, message", [
    (b"short\n", "16 to"), (b"", "16 to"), (b"has a space in it 0123456789\n", "printable"),
    (b"x" * 5000, "16 to"),
])
def test_a_token_file_that_cannot_serve_is_named(tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "token"
    file.write_bytes(content)
    with pytest.raises(KernelError, match=message) as raised:
        read_token(str(file))
    assert str(file) in raised.value.message
    with pytest.raises(KernelError, match="not a regular file"):
        read_token(str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "standards_kernel", "serve", "--port", str(free_port()),
                           "--token-file", str(file)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and str(file) in done.stderr and "Traceback" not in done.stderr


def test_the_server_keeps_only_the_tokens_hash(tmp_path: Path) -> None:
    file = tmp_path / "token"
    file.write_text(TOKEN + "\nsecond line ignored\n", "utf-8")
    assert read_token(str(file)) == token_digest(TOKEN) != TOKEN
    assert read_token(None, {ENV_TOKEN: f"  {TOKEN} "}) == token_digest(TOKEN)
    assert read_token(None, {}) is None


# --- the rules, on their own -------------------------------------------------------------------


def scope(method: str = "POST", query: str = "record=true", **headers: str) -> dict[str, Any]:
    return {"type": "http", "http_version": "1.1", "method": method, "path": "/v1/evaluations",
            "query_string": query.encode(),
            "headers": [(k.replace("_", "-").encode(), v.encode("latin-1")) for k, v in headers.items()]}


def test_same_origin_compares_host_and_port_whatever_the_scheme() -> None:
    assert same_origin("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert same_origin("https://api.example", "api.example")  # a TLS proxy in front: default ports
    assert same_origin("http://[::1]:8000", "[::1]:8000")
    assert not same_origin("http://127.0.0.1:8001", "127.0.0.1:8000")
    assert not same_origin("null", "127.0.0.1:8000")
    assert not same_origin("file://", "127.0.0.1:8000")
    assert not same_origin("http://[::1", "127.0.0.1:8000")  # not a URL at all


def test_loopback_names() -> None:
    assert all(is_loopback_host(h) for h in ("localhost", "LOCALHOST.", "a.localhost", "127.0.0.1", "[::1]", "127.9.9.9"))
    assert not any(is_loopback_host(h) for h in ("0.0.0.0", "10.0.0.1", "localhost.evil.example", "", "::"))


def test_the_guard_checks_in_order_host_origin_token_type() -> None:
    exposed = Permissions(loopback=False, token_sha256=token_digest(TOKEN))
    assert check(scope(host="x.lan", origin="http://y.lan"), exposed).kind.slug == "forbidden-origin"  # type: ignore[union-attr]
    assert check(scope(host="x.lan"), exposed).kind.slug == "token-required"  # type: ignore[union-attr]
    assert check(scope(host="x.lan", authorization=f"Bearer {TOKEN}"), exposed).kind.slug == "unsupported-media-type"  # type: ignore[union-attr]
    assert check(scope(host="x.lan", authorization=f"Bearer {TOKEN}", content_type="application/json"), exposed) is None
    # The batch may record NDJSON.
    batch = {**scope(host="127.0.0.1", content_type="application/x-ndjson"), "path": "/v1/evaluations/batch"}
    assert check(batch, Permissions()) is None
    assert check(scope(method="GET", query="", host="127.0.0.1", origin="http://evil.example"), Permissions()) is None


header_text = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=60)


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "PUT", "OPTIONS", "BREW"]), query=header_text,
       headers=st.dictionaries(st.sampled_from(["host", "origin", "sec_fetch_site", "authorization", "content_type"]),
                               header_text),
       loopback=st.booleans(), token=st.booleans())
def test_the_guard_answers_any_headers_without_failing(method: str, query: str, headers: dict[str, str],
                                                      loopback: bool, token: bool) -> None:
    permissions = Permissions(loopback=loopback, token_sha256=token_digest(TOKEN) if token else None)
    found = check(scope(method, query, **headers), permissions)
    assert found is None or found.kind.status in (400, 401, 403, 415)
    if found is None and method == "POST" and "record=true" in query.lower().split("&"):
        assert headers.get("content_type", "").split(";")[0].strip().lower() == "application/json"
