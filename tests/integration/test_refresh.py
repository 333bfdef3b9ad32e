"""`sources refresh|list|verify` against a real HTTP server on loopback.

Every test works on a private copy of the bundled sources/. An accepted download must add a complete
version folder that the build will pick as newest; a rejected one must say why and leave the copy
byte-for-byte as it was (no partial folder, no leftover .incoming-*).
"""

from __future__ import annotations

import argparse
import collections
import csv
import datetime as dt
import hashlib
import io
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipelines.cli.sources import register
from pipelines.lib import refresh as refresh_module
from pipelines.lib.refresh import RefreshRejected, list_sources, refresh_source, verify_sources
from pipelines.lib.sources import MANIFEST_NAME, SOURCES, list_versions, load_snapshot, verify_snapshot
from tests.conftest import BUNDLED_SOURCES, copy_sources, file_tree

pytestmark = pytest.mark.integration

SOURCE = "epoch_notable_models"
BUNDLED = load_snapshot(BUNDLED_SOURCES, SOURCE)
BUNDLED_BYTES = BUNDLED.data_path.read_bytes()
HEADER = next(csv.reader(io.StringIO(BUNDLED_BYTES.decode("utf-8"), newline="")))
FAST = {"timeout": 2.0, "retries": 2, "backoff": 0.01}  # retries without slowing the suite down


def with_extra_model(name: str) -> bytes:
    """The bundled file plus one model row, so the bytes differ but everything else still holds."""
    values = {
        "Model": name,
        "Organization": "Test Lab",
        "Publication date": "2026-07-18",
        "Domain": "Language",
        "Task": "Language modeling",
        "Training compute (FLOP)": "1.5e25",
        "Confidence": "Likely",
    }
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([values.get(column, "") for column in HEADER])
    return BUNDLED_BYTES + out.getvalue().encode("utf-8")


GOOD = with_extra_model("Test Model A")
GOOD_2 = with_extra_model("Test Model B")
_header_end = GOOD.index(b"\n")
DRIFTED = GOOD[:_header_end].replace(b",Training compute (FLOP),", b",Training compute (FLOPs),") + GOOD[_header_end:]
LATIN1 = GOOD.replace(b"Test Model A", "Caf\xe9 Model".encode("latin-1"))
# The bundled file's last record has a quoted field ("Significant use,Discretionary").
CUT_IN_QUOTES = BUNDLED_BYTES[: BUNDLED_BYTES.rindex(b'"Significant use') + 8]
CUT_FIELDS = BUNDLED_BYTES[:-15]  # inside the trailing run of empty fields: too few fields
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
)
SLOW_SECONDS = 10.0  # far longer than any timeout a test uses; the fixture wakes the handler at teardown


# --- the loopback server -------------------------------------------------------------------------


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str = "text/csv; charset=utf-8",
    *,
    length: int | None = None,
    headers: dict | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def _trickle(handler, stop: threading.Event) -> None:
    """Announce the whole file, then send a byte every 50 ms: each read is quick, the total is not."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/csv")
    handler.send_header("Content-Length", str(len(GOOD)))
    handler.end_headers()
    for position in range(len(GOOD)):
        if stop.wait(0.05):
            return
        handler.wfile.write(GOOD[position : position + 1])
        handler.wfile.flush()


def _route(handler, path: str, hit: int, stop: threading.Event) -> None:
    if path.startswith("/same/"):  # the bundled bytes of any source
        source = path.removeprefix("/same/")
        _send(handler, 200, load_snapshot(BUNDLED_SOURCES, source).data_path.read_bytes())
    elif path == "/good.csv":
        _send(handler, 200, GOOD, headers={"Last-Modified": "Sat, 18 Jul 2026 10:00:00 GMT", "ETag": '"abc"'})
    elif path == "/good2.csv":
        _send(handler, 200, GOOD_2)
    elif path == "/same.csv":
        _send(handler, 200, BUNDLED_BYTES)
    elif path == "/flaky.csv":  # 500 once, then fine
        _send(handler, 200, GOOD) if hit > 1 else _send(handler, 500, b"oops", "text/plain")
    elif path == "/throttled.csv":  # 429 once, then fine
        _send(handler, 200, GOOD) if hit > 1 else _send(
            handler, 429, b"slow down", "text/plain", headers={"Retry-After": "0"}
        )
    elif path == "/down.csv":
        _send(handler, 503, b"maintenance", "text/plain")
    elif path == "/html-page.csv":
        _send(handler, 200, HTML_PAGE, "text/html; charset=utf-8")
    elif path == "/html-as-csv.csv":  # the content type lies; the body gives it away
        _send(handler, 200, b"\n  " + HTML_PAGE, "text/csv")
    elif path == "/empty.csv":
        _send(handler, 200, b"")
    elif path == "/truncated.csv":  # announce everything, send half, close
        _send(handler, 200, GOOD[: len(GOOD) // 2], length=len(GOOD))
    elif path == "/cut-in-quotes.csv":
        _send(handler, 200, CUT_IN_QUOTES)
    elif path == "/cut-fields.csv":
        _send(handler, 200, CUT_FIELDS)
    elif path == "/drifted.csv":
        _send(handler, 200, DRIFTED)
    elif path == "/latin1.csv":
        _send(handler, 200, LATIN1)
    elif path == "/slow.csv":
        if not stop.wait(SLOW_SECONDS):
            _send(handler, 200, GOOD)
    elif path == "/trickle.csv":
        _trickle(handler, stop)
    else:
        _send(handler, 404, b"not found", "text/plain")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that gave up (BrokenPipe) is expected
        pass


class Loopback:
    def __init__(self, port: int, hits: collections.Counter):
        self.base, self.hits = f"http://127.0.0.1:{port}", hits

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def server(monkeypatch):
    for variable in ("no_proxy", "NO_PROXY"):  # a proxy in the environment must not intercept loopback
        monkeypatch.setenv(variable, "127.0.0.1,localhost")
    hits: collections.Counter = collections.Counter()
    stop = threading.Event()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = urlsplit(self.path).path
            with lock:
                hits[path] += 1
                hit = hits[path]
            _route(self, path, hit, stop)

        def log_message(self, format, *args):
            pass

    httpd = _QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Loopback(httpd.server_address[1], hits)
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def sources(tmp_path) -> Path:
    return copy_sources(tmp_path / "sources")


tree = file_tree


def assert_rejected(sources: Path, url: str, *fragments: str, **options) -> RefreshRejected:
    before = tree(sources)
    with pytest.raises(RefreshRejected) as caught:
        refresh_source(sources, SOURCE, url=url, **options)
    message = str(caught.value)
    assert SOURCE in message and url in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert not list(sources.rglob(".incoming-*"))
    assert tree(sources) == before
    return caught.value


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="flopcast")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- accepted downloads --------------------------------------------------------------------------


def test_a_new_file_becomes_the_newest_version(server, sources):
    url = server.url("/good.csv")
    result = refresh_source(sources, SOURCE, url=url, **FAST)

    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert result.status == "new" and result.version == today and result.previous_version == BUNDLED.version
    assert list_versions(sources, SOURCE) == [BUNDLED.version, today]
    snapshot = load_snapshot(sources, SOURCE)  # what the build reads by default
    assert snapshot.version == today and snapshot.data_path.read_bytes() == GOOD
    manifest = json.loads((snapshot.folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["source"] == SOURCE and manifest["version"] == today
    assert manifest["file"] == {
        "name": BUNDLED.manifest["file"]["name"],
        "sha256": hashlib.sha256(GOOD).hexdigest(),
        "size_bytes": len(GOOD),
        "rows": BUNDLED.manifest["file"]["rows"] + 1,
    }
    assert verify_snapshot(snapshot) == result.sha256
    origin = manifest["origin"]
    assert origin["url"] == url and origin["retrieved"] == today
    for key in ("title", "producer", "license", "license_url", "citation"):  # carried over from the previous version
        assert origin[key] == BUNDLED.manifest["origin"][key]
    assert "copied_from" not in origin  # the new file was downloaded, not copied from a repository
    note = (snapshot.folder / "PROVENANCE.md").read_text(encoding="utf-8")
    assert url in note and "Last-Modified" in note
    assert sorted(p.name for p in snapshot.folder.iterdir()) == sorted(
        [MANIFEST_NAME, "PROVENANCE.md", snapshot.data_path.name]
    )
    assert not list(sources.rglob(".incoming-*"))
    assert result.attempts == 1 and server.hits["/good.csv"] == 1


def test_the_same_bytes_add_no_version(server, sources):
    before = tree(sources)
    result = refresh_source(sources, SOURCE, url=server.url("/same.csv"), **FAST)
    assert result.status == "unchanged" and result.version == BUNDLED.version and result.sha256 == BUNDLED.sha256
    assert "unchanged" in result.describe()
    assert tree(sources) == before


def test_a_second_download_on_the_same_day_gets_a_suffix(server, sources):
    first = refresh_source(sources, SOURCE, url=server.url("/good.csv"), version="2026-08-01", **FAST)
    second = refresh_source(sources, SOURCE, url=server.url("/good2.csv"), version="2026-08-01", **FAST)
    assert (first.version, second.version) == ("2026-08-01", "2026-08-01.2")
    assert list_versions(sources, SOURCE)[-1] == "2026-08-01.2"
    manifest = load_snapshot(sources, SOURCE).manifest
    assert (
        manifest["origin"]["retrieved"] == "2026-08-01"
        and manifest["file"]["sha256"] == hashlib.sha256(GOOD_2).hexdigest()
    )


@pytest.mark.parametrize("path", ["/flaky.csv", "/throttled.csv"])
def test_a_500_or_429_is_retried(server, sources, path):
    result = refresh_source(sources, SOURCE, url=server.url(path), version="2026-08-01", **FAST)
    assert result.status == "new" and result.attempts == 2 and server.hits[path] == 2
    assert load_snapshot(sources, SOURCE).data_path.read_bytes() == GOOD


# --- rejected downloads --------------------------------------------------------------------------


def test_a_404_fails_at_once(server, sources):
    assert_rejected(sources, server.url("/missing.csv"), "HTTP 404 Not Found", **FAST)
    assert server.hits["/missing.csv"] == 1


def test_a_503_forever_is_retried_a_bounded_number_of_times(server, sources):
    rejected = assert_rejected(sources, server.url("/down.csv"), "gave up after 3 attempt(s)", "HTTP 503", **FAST)
    assert server.hits["/down.csv"] == FAST["retries"] + 1
    assert rejected.reason.startswith("gave up")


@pytest.mark.parametrize(
    ("path", "fragments"),
    [
        ("/html-page.csv", ["HTML page", "text/html"]),
        ("/html-as-csv.csv", ["HTML page", "<!DOCTYPE html>"]),
        ("/empty.csv", ["empty"]),
        ("/truncated.csv", ["truncated", f"received {len(GOOD) // 2} of the {len(GOOD)} bytes"]),
        ("/cut-in-quotes.csv", ["ends inside a quoted field", "cut off"]),
        ("/cut-fields.csv", ["last record", "of the header's 47 fields", "cut off"]),
        ("/drifted.csv", ["'Training compute (FLOP)'", "renamed to 'Training compute (FLOPs)'?"]),
        ("/latin1.csv", ["not valid UTF-8", "byte 0xe9", "notable_ai_models.csv"]),
    ],
)
def test_a_bad_file_is_rejected_and_nothing_is_written(server, sources, path, fragments):
    rejected = assert_rejected(sources, server.url(path), *fragments, version="2026-08-01", **FAST)
    assert ".incoming-" not in str(rejected)  # messages name the file, not the temporary folder
    assert server.hits[path] == 1  # content problems are not retried


def test_a_slow_server_times_out_within_the_bounds(server, sources):
    timeout, retries, backoff = 0.5, 1, 0.05
    started = time.monotonic()
    assert_rejected(
        sources,
        server.url("/slow.csv"),
        "timeout",
        "gave up after 2 attempt(s)",
        timeout=timeout,
        retries=retries,
        backoff=backoff,
    )
    elapsed = time.monotonic() - started
    assert server.hits["/slow.csv"] == retries + 1
    assert elapsed < timeout * (retries + 1) + backoff + 3.0, elapsed  # generous slack; never SLOW_SECONDS


def test_a_trickling_server_hits_the_total_deadline(server, sources):
    started = time.monotonic()
    assert_rejected(sources, server.url("/trickle.csv"), "deadline", timeout=1.0, retries=0, deadline=1.0)
    assert time.monotonic() - started < 1.0 + 1.0 + 3.0  # deadline + one socket timeout + slack


def test_connection_refused_is_retried_then_rejected(sources):
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert_rejected(
        sources, f"http://127.0.0.1:{port}/x.csv", "gave up after 3 attempt(s)", "connection failed", **FAST
    )


def test_a_version_that_would_not_be_newest_is_rejected(server, sources):
    assert_rejected(
        sources, server.url("/good.csv"), "would not sort after", BUNDLED.version, version="2020-01-01", **FAST
    )


def test_an_interrupt_while_writing_leaves_nothing_behind(server, sources, monkeypatch):
    real_write = refresh_module.write_snapshot

    def write_then_interrupt(*args, **kwargs):
        real_write(*args, **kwargs)  # the files exist in .incoming-*, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(refresh_module, "write_snapshot", write_then_interrupt)
    before = tree(sources)
    with pytest.raises(KeyboardInterrupt):
        refresh_source(sources, SOURCE, url=server.url("/good.csv"), version="2026-08-01", **FAST)
    assert tree(sources) == before


# --- the CLI -------------------------------------------------------------------------------------


def test_cli_refresh_one_source(server, sources, capsys):
    code, out, _ = run_cli(
        [
            "sources",
            "refresh",
            SOURCE,
            "--url",
            server.url("/good.csv"),
            "--version",
            "2026-08-01",
            "--timeout",
            "2",
            "--retries",
            "0",
            "--sources-dir",
            str(sources),
        ],
        capsys,
    )
    assert code == 0 and out.startswith(SOURCE) and "new version 2026-08-01" in out, out

    before = tree(sources)
    code, out, _ = run_cli(
        [
            "sources",
            "refresh",
            SOURCE,
            "--url",
            server.url("/drifted.csv"),
            "--retries",
            "0",
            "--sources-dir",
            str(sources),
        ],
        capsys,
    )
    assert code == 1 and "rejected" in out and "Training compute (FLOP)" in out, out
    assert tree(sources) == before


def test_cli_refresh_every_source_from_the_manifest_urls(server, sources, capsys):
    # Point each newest manifest at the loopback server: one new file, one broken, the rest unchanged.
    urls = {spec.name: server.url(f"/same/{spec.name}") for spec in SOURCES}
    urls[SOURCE] = server.url("/good.csv")
    urls["epoch_gpu_clusters"] = server.url("/missing.csv")
    for name, url in urls.items():
        path = load_snapshot(sources, name).folder / MANIFEST_NAME
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["origin"]["url"] = url
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    code, out, _ = run_cli(
        ["sources", "refresh", "--version", "2026-11-01", "--retries", "0", "--sources-dir", str(sources)], capsys
    )
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert code == 1 and set(lines) == {spec.name for spec in SOURCES}, out
    assert "new version 2026-11-01" in lines[SOURCE]
    assert "rejected: HTTP 404" in lines["epoch_gpu_clusters"]
    for name in ("epoch_ml_hardware", "fred_ppi_data_processing", "ember_country_electricity"):
        assert "unchanged" in lines[name], lines[name]
    assert list_versions(sources, "epoch_gpu_clusters") == list_versions(BUNDLED_SOURCES, "epoch_gpu_clusters")
    assert load_snapshot(sources, SOURCE).manifest["origin"]["url"] == urls[SOURCE]


def test_cli_refresh_usage_errors(sources, capsys):
    code, _, err = run_cli(
        ["sources", "refresh", "--url", "http://127.0.0.1/x.csv", "--sources-dir", str(sources)], capsys
    )
    assert code == 2 and "needs a SOURCE" in err
    code, _, err = run_cli(["sources", "refresh", "nope", "--sources-dir", str(sources)], capsys)
    assert code == 2 and "unknown source 'nope'" in err


def test_cli_list_shows_every_version(server, sources, capsys):
    refresh_source(sources, SOURCE, url=server.url("/good.csv"), version="2026-08-01", **FAST)
    code, out, _ = run_cli(["sources", "list", "--sources-dir", str(sources)], capsys)
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["source", "version", "retrieved", "rows", "sha256"]
    assert len(rows) == len(SOURCES) + 1
    new = [row.split() for row in rows if "2026-08-01" in row]
    assert new == [
        [
            SOURCE,
            "2026-08-01",
            "2026-08-01",
            str(BUNDLED.manifest["file"]["rows"] + 1),
            hashlib.sha256(GOOD).hexdigest()[:12],
        ]
    ]
    listed = list_sources(sources)
    assert {(r["source"], r["version"]) for r in listed} >= {(SOURCE, BUNDLED.version), (SOURCE, "2026-08-01")}
    assert all(set(r) == {"source", "version", "retrieved", "rows", "sha256", "size"} for r in listed)


def test_cli_verify_detects_a_flipped_byte(sources, capsys):
    code, out, _ = run_cli(["sources", "verify", "--sources-dir", str(sources)], capsys)
    assert code == 0 and f"{len(SOURCES)} snapshot(s) checked, 0 failed" in out, out

    path = load_snapshot(sources, "epoch_ml_hardware").data_path
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    actual = hashlib.sha256(bytes(data)).hexdigest()
    expected = load_snapshot(sources, "epoch_ml_hardware").sha256

    code, out, _ = run_cli(["sources", "verify", "--sources-dir", str(sources)], capsys)
    failed = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert code == 1 and len(failed) == 1, out
    assert str(path) in failed[0] and expected in failed[0] and actual in failed[0]
    assert [ok for source, _, ok, _ in verify_sources(sources) if source == "epoch_ml_hardware"] == [False]
