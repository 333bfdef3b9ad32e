"""`sources refresh` against loopback servers that misbehave at each phase (issue 17, classes 3, 4
and 11): one wall-clock deadline over connect, status line, headers and body; http(s) redirects
only; a download that loses rows, has none, or fails the source's own expectations is refused
without writing a version; a folder that cannot be written is a one-line error."""

from __future__ import annotations

import argparse
import csv
import io
import socketserver
import threading
import time
from pathlib import Path

import pytest

from pipelines.cli.sources import register
from pipelines.lib.refresh import RefreshRejected, refresh_source
from pipelines.lib.sources import list_versions, load_snapshot
from tests.conftest import BUNDLED_SOURCES, copy_sources, file_tree

pytestmark = pytest.mark.integration

SOURCE = "epoch_notable_models"
BUNDLED_BYTES = load_snapshot(BUNDLED_SOURCES, SOURCE).data_path.read_bytes()
HEADER_LINE, *LINES = BUNDLED_BYTES.decode("utf-8").splitlines(keepends=True)
HEADER = next(csv.reader(io.StringIO(HEADER_LINE)))
TRICKLE_SECONDS = 30.0  # how long a trickling handler keeps going: far beyond every deadline here


def record(values: dict) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([values.get(column, "") for column in HEADER])
    return out.getvalue()


def whole_records(lines: list[str], keep: int) -> str:
    """The first `keep` CSV records of the bundled file (records may span lines), cut at a record boundary."""
    reader = csv.reader(io.StringIO("".join(lines), newline=""))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for index, row in enumerate(reader):
        if index >= keep:
            break
        writer.writerow(row)
    return out.getvalue()


GOOD = (
    BUNDLED_BYTES
    + record(
        {
            "Model": "Test Model A",
            "Organization": "Test Lab",
            "Publication date": "2026-07-18",
            "Domain": "Language",
            "Training compute (FLOP)": "1.5e25",
            "Confidence": "Likely",
        }
    ).encode()
)
BUNDLED_ROWS = load_snapshot(BUNDLED_SOURCES, SOURCE).manifest["file"]["rows"]
CUT_AT_A_LINE = (HEADER_LINE + whole_records(LINES, 460)).encode()  # the probe: 460 of 1,036 rows
HEADER_ONLY = HEADER_LINE.encode()
THREE_ROWS = (HEADER_LINE + whole_records(LINES, 3)).encode()
JUNK = (
    HEADER_LINE
    + "".join(
        record({"Model": f"junk {i}", "Publication date": "soon", "Training compute (FLOP)": "lots"})
        for i in range(100_000)
    )
).encode()
# Every row readable, but one model at 1e35 FLOP: the suite's physical range (1..1e30) fails.
FAILS_SUITE = (
    GOOD
    + record(
        {
            "Model": "Impossible Run",
            "Organization": "Test Lab",
            "Publication date": "2026-07-18",
            "Domain": "Language",
            "Training compute (FLOP)": "1e35",
            "Confidence": "Likely",
        }
    ).encode()
)


def response(body: bytes, *, length: bool = True, extra: str = "") -> bytes:
    head = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n"
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + extra + "\r\n").encode() + body


def redirect(location: str) -> bytes:
    return f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


class Server:
    """A raw TCP server on loopback: each path names a behaviour, byte by byte if need be."""

    def __init__(self):
        self.stop = threading.Event()
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ", 2)[1].decode()
                outer.hits[path] = outer.hits.get(path, 0) + 1
                try:
                    outer.route(self.request, path)
                except OSError:  # the client gave up: expected for the misbehaving routes
                    pass

        self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.tcp.daemon_threads = True
        self.thread = threading.Thread(target=self.tcp.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.tcp.server_address[1]}{path}"

    def trickle(self, sock, data: bytes, every: float = 0.2) -> None:
        started = time.monotonic()
        for byte in data:
            if self.stop.wait(every) or time.monotonic() - started > TRICKLE_SECONDS:
                return
            sock.sendall(bytes([byte]))

    def route(self, sock, path: str) -> None:
        if path == "/status-trickle.csv":  # the status line, one byte every 0.2 s
            self.trickle(sock, b"HTTP/1.1 200 " + b"O" * 10_000)
        elif path == "/headers-trickle.csv":  # a status line at once, then endless headers, slowly
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n")
            self.trickle(sock, b"".join(f"X-Pad-{i}: a\r\n".encode() for i in range(10_000)))
        elif path == "/body-trickle.csv":  # headers at once, no Content-Length, the body slowly
            sock.sendall(response(b"", length=False))
            self.trickle(sock, GOOD)
        elif path == "/silent.csv":  # accepts, then says nothing
            self.stop.wait(TRICKLE_SECONDS)
        elif path == "/to-ftp.csv":
            sock.sendall(redirect("ftp://127.0.0.1/notable.csv"))
        elif path == "/to-file.csv":
            sock.sendall(redirect("file:///etc/passwd"))
        elif path == "/to-data.csv":
            sock.sendall(redirect("data:text/csv,a%2Cb"))
        elif path == "/loop.csv":
            sock.sendall(redirect("/loop.csv"))
        elif path == "/to-good.csv":
            sock.sendall(redirect("/good.csv"))
        elif path == "/good.csv":
            sock.sendall(response(GOOD))
        elif path == "/cut-at-a-line.csv":  # no Content-Length, ends at a line boundary: nothing looks cut
            sock.sendall(response(CUT_AT_A_LINE, length=False))
        elif path == "/header-only.csv":
            sock.sendall(response(HEADER_ONLY))
        elif path == "/three-rows.csv":
            sock.sendall(response(THREE_ROWS))
        elif path == "/junk.csv":
            sock.sendall(response(JUNK))
        elif path == "/fails-suite.csv":
            sock.sendall(response(FAILS_SUITE))
        else:
            sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self):
        self.stop.set()
        self.tcp.shutdown()
        self.tcp.server_close()


@pytest.fixture
def server(monkeypatch):
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(variable, "127.0.0.1,localhost")
    running = Server()
    yield running
    running.close()


@pytest.fixture
def sources(tmp_path) -> Path:
    return copy_sources(tmp_path / "sources")


tree = file_tree


def rejected(sources: Path, url: str, *fragments: str, **options) -> str:
    before = tree(sources)
    with pytest.raises(RefreshRejected) as caught:
        refresh_source(sources, SOURCE, url=url, version="2026-08-01", **options)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert tree(sources) == before  # no version written, no .incoming-* left
    return message


# --- class 3: one deadline over every phase -----------------------------------------------------


@pytest.mark.parametrize(
    "path, phase",
    [
        ("/status-trickle.csv", "status line and headers"),
        ("/headers-trickle.csv", "status line and headers"),
        ("/body-trickle.csv", "the body"),
    ],
)
def test_a_trickle_in_any_phase_is_stopped_at_the_deadline(server, sources, path, phase):
    started = time.monotonic()
    rejected(sources, server.url(path), "deadline", phase, timeout=1.0, retries=0, deadline=2.0)
    assert time.monotonic() - started < 2.0 + 2.5, "the deadline did not hold"


def test_the_deadline_holds_across_retries_of_a_silent_server(server, sources):
    started = time.monotonic()
    rejected(sources, server.url("/silent.csv"), timeout=1.0, retries=5, backoff=0.01, deadline=2.5)
    assert time.monotonic() - started < 2.5 + 2.5


def test_the_cli_deadline_holds_for_a_trickled_status_line(server, sources, capsys):
    parser = argparse.ArgumentParser(prog="flopcast")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(
        [
            "sources",
            "refresh",
            SOURCE,
            "--url",
            server.url("/status-trickle.csv"),
            "--deadline",
            "3",
            "--sources-dir",
            str(sources),
        ]
    )
    started = time.monotonic()
    assert args.func(args) == 1
    assert time.monotonic() - started < 3 + 2.5
    out = capsys.readouterr().out
    assert "rejected: the deadline passed" in out and out.count("\n") == 1


# --- class 3: redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, target", [("/to-ftp.csv", "ftp://"), ("/to-file.csv", "file://"), ("/to-data.csv", "data:")]
)
def test_a_redirect_to_anything_but_http_is_refused(server, sources, path, target):
    message = rejected(sources, server.url(path), target, timeout=2.0, retries=0)
    assert "only http and https redirects are followed" in message or "is not allowed" in message, message


def test_a_redirect_loop_is_bounded_and_an_http_redirect_is_followed(server, sources):
    rejected(sources, server.url("/loop.csv"), "HTTP 302", timeout=2.0, retries=0)
    assert server.hits["/loop.csv"] <= 11
    result = refresh_source(
        sources, SOURCE, url=server.url("/to-good.csv"), version="2026-08-01", timeout=2.0, retries=0
    )
    assert result.status == "new" and load_snapshot(sources, SOURCE).data_path.read_bytes() == GOOD


# --- class 4: broken downloads never become versions -----------------------------------------------


@pytest.mark.parametrize(
    "path, fragments",
    [
        (
            "/cut-at-a-line.csv",
            [f"the file has 460 rows where the previous version 2026-07-19 has {BUNDLED_ROWS:,}", "--max-row-loss"],
        ),
        ("/header-only.csv", ["a header but no rows"]),
        ("/three-rows.csv", ["3 rows where the previous version", "loses 100%"]),
        ("/junk.csv", ["none of the 100,000 rows is usable after cleaning"]),
        ("/fails-suite.csv", ["fail the source's own expectations", "training_compute_flop"]),
    ],
)
def test_a_download_the_build_could_not_use_is_refused_without_a_version(server, sources, path, fragments):
    rejected(sources, server.url(path), *fragments, timeout=5.0, retries=0)
    assert list_versions(sources, SOURCE) == ["2026-07-19"]


def test_the_row_loss_share_is_configurable(server, sources):
    result = refresh_source(
        sources,
        SOURCE,
        url=server.url("/cut-at-a-line.csv"),
        version="2026-08-01",
        timeout=5.0,
        retries=0,
        max_row_loss=0.6,
    )
    assert result.status == "new" and result.rows == 460


# --- class 11: a folder that cannot be written ------------------------------------------------------


def test_a_folder_that_cannot_be_written_is_a_one_line_error(server, sources, capsys, monkeypatch, tmp_path):
    import tempfile

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", str(sources / SOURCE))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)  # as root, chmod would not stop the write
    parser = argparse.ArgumentParser(prog="flopcast")
    register(parser.add_subparsers(dest="command", required=True))
    before = tree(sources)
    args = parser.parse_args(
        ["sources", "refresh", SOURCE, "--url", server.url("/good.csv"), "--sources-dir", str(sources)]
    )
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "rejected: cannot write under" in out and "Permission denied" in out and out.count("\n") == 1
    assert tree(sources) == before
    monkeypatch.undo()
    # A folder the kernel refuses outright (as root too): /sys does not take new folders.
    args = parser.parse_args(
        ["sources", "refresh", SOURCE, "--url", server.url("/good.csv"), "--sources-dir", "/sys/flopcast-refresh-test"]
    )
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "cannot write under /sys/flopcast-refresh-test" in out and out.count("\n") == 1
