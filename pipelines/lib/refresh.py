"""Refresh a source: download its current file and, if it is new and sound, add a version folder.

The operator's workflow around ``sources/`` (see sources.py for the folder layout):

* ``refresh_source`` downloads from the newest manifest's ``origin.url`` (or a given URL) with
  bounded time and retries, rejects anything that is not a complete, readable table with the
  columns the cleaning needs, and otherwise adds ``sources/<source>/<version>/``. A rejected
  download leaves ``sources/`` byte-for-byte as it was: everything is written into a
  ``.incoming-*`` folder inside ``sources/<source>/`` first and renamed into place only once it
  has passed every check (``list_versions`` never sees that folder: it has no manifest at its top).
* ``list_sources`` and ``verify_sources`` report on what is there.

No Dagster here: the CLI and tests call this directly, and the build never downloads anything.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import http.client
import io
import os
import re
import shutil
import socket
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

from pipelines.lib.clean_sources import CLEANING_SPECS
from pipelines.lib.cleaning import MissingColumnsError, require_columns
from pipelines.lib.raw import LINEAGE_COLUMNS, RawFormatError, read_text_table
from pipelines.lib.sources import (
    MANIFEST_NAME,
    MANIFEST_SCHEMA_PATH,
    SOURCES,
    SOURCES_BY_NAME,
    SourceError,
    count_csv_records,
    list_versions,
    load_snapshot,
    manifest_problems,
    verify_snapshot,
    write_snapshot,
)

USER_AGENT = "flopcast-sources-refresh/0.1 (python urllib)"  # some hosts refuse the bare Python-urllib agent
MAX_BYTES = 256 * 1024 * 1024  # far above any source (the largest is ~2 MB); stops a runaway response
INCOMING_PREFIX = ".incoming-"
_CHUNK = 64 * 1024
MAX_ROW_LOSS = 0.2  # a new version may have at most 20% fewer rows than the previous one (--max-row-loss)
MAX_REDIRECTS = 5
_WATCHDOG_GRACE_SECONDS = 0.25
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_VERSION_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")
_ISO_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")

Opener = Callable[..., Any]  # called as opener(request, timeout=seconds), like urllib.request.urlopen


class RefreshRejected(SourceError):
    """The download was not accepted; nothing under sources/ was changed."""

    def __init__(self, source: str, url: str, reason: str):
        super().__init__(f"{source}: rejected the download from {url}: {reason} (sources/ left unchanged)")
        self.source, self.url, self.reason = source, url, reason


@dataclass(frozen=True)
class RefreshResult:
    source: str
    url: str
    status: str  # "new": a version folder was added; "unchanged": same bytes as the newest version
    version: str  # the new version, or the existing version the download matched
    previous_version: str | None
    sha256: str
    size_bytes: int
    rows: int
    attempts: int
    elapsed_seconds: float

    def describe(self) -> str:
        """One line for `flopcast sources refresh`: unchanged, or the new version with its rows and hash."""
        if self.status == "unchanged":
            return f"unchanged: same bytes as {self.version} (sha256 {self.sha256[:12]})"
        after = f", previous {self.previous_version}" if self.previous_version else ""
        return (
            f"new version {self.version}: {self.rows} rows, {self.size_bytes} bytes, sha256 {self.sha256[:12]}{after}"
        )


class _Problem(Exception):
    """Why a download is refused; refresh_source adds the source and URL."""


class _Retryable(_Problem):
    """A failure that may go away by itself: connection error, timeout, HTTP 5xx or 429."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Download:
    data: bytes
    headers: Message
    attempts: int
    elapsed_seconds: float


# --- downloading ---------------------------------------------------------------------------------


class _Watchdog:
    """Shuts down every socket of an attempt when the deadline passes, whatever the attempt is doing:
    connecting, waiting for the status line, reading headers or the body. A socket timeout alone
    bounds each read, not their sum, so a server that trickles its status line or headers a byte at
    a time could otherwise hold a refresh for as long as it likes."""

    def __init__(self, give_up_at: float):
        self.fired = threading.Event()
        self.fired_at: float | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(give_up_at - time.monotonic(), 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired.is_set()
        if fired:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired_at = time.monotonic()
            self.fired.set()
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv in the downloading thread
    except OSError:
        pass


def _watched(base: type[http.client.HTTPConnection], watchdog: _Watchdog) -> type[http.client.HTTPConnection]:
    class Watched(base):
        def connect(self) -> None:
            def create_connection(address, timeout, source_address=None):
                sock = socket.create_connection(address, timeout, source_address)
                watchdog.watch(sock)
                return sock

            self._create_connection = create_connection
            super().connect()

    return Watched


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog):
        super().__init__()
        self._watchdog = watchdog

    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, self._watchdog), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog):
        super().__init__()
        self._watchdog = watchdog

    def https_open(self, req):
        return self.do_open(_watched(http.client.HTTPSConnection, self._watchdog), req, context=self._context)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) only (urllib alone also follows ftp://), at most MAX_REDIRECTS."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise _Problem(f"the server redirected to {newurl[:200]!r}; only http and https redirects are followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _deadline_opener(watchdog: _Watchdog) -> Opener:
    return urllib.request.build_opener(
        _WatchedHTTPHandler(watchdog), _WatchedHTTPSHandler(watchdog), _HttpOnlyRedirects()
    ).open


def _is_retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def _retry_after(headers: Message | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare for these servers and is ignored)."""
    value = (headers.get("Retry-After") if headers is not None else None) or ""
    return float(value) if value.strip().isdigit() else None


def _http_problem(status: int, reason: str, headers: Message | None) -> _Problem:
    text = f"HTTP {status} {reason}".rstrip()
    if _is_retryable_status(status):
        return _Retryable(text, retry_after=_retry_after(headers))
    return _Problem(text)  # other 4xx (and oddities like 204/206): asking again will not help


def _connection_problem(exc: OSError, timeout: float) -> _Problem:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ssl.SSLCertVerificationError):
        return _Problem(f"TLS certificate rejected: {reason}")  # will not fix itself by retrying
    if isinstance(reason, TimeoutError):
        return _Retryable(f"no response within {timeout:.3g} s (timeout)")
    return _Retryable(f"connection failed: {reason}")


def _read_body(response: Any, give_up_at: float, max_bytes: int, timeout: float) -> bytes:
    # read1 makes at most one system call, each bounded by the socket timeout, so the deadline is
    # checked often even when a server trickles bytes (a plain read(n) could block far longer).
    read = getattr(response, "read1", None) or response.read
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = read(_CHUNK)
        except http.client.IncompleteRead as exc:
            raise _Problem(
                f"the body is truncated: the connection ended after {total + len(exc.partial)} bytes"
            ) from None
        except OSError as exc:  # timeout or reset in the middle of the body
            raise _connection_problem(exc, timeout) from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise _Problem(f"the body exceeds {max_bytes} bytes; not a source file")
        if time.monotonic() > give_up_at:
            raise _Problem(f"the deadline passed while the server was still sending the body ({total} bytes received)")


def _attempt(
    url: str, opener: Opener | None, timeout: float, give_up_at: float, max_bytes: int
) -> tuple[bytes, Message]:
    """One request. With the default opener (None), a watchdog enforces give_up_at over connect,
    status line, headers and body together; a custom opener gets the socket timeout and the body's
    deadline check only."""
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "text/csv, text/plain;q=0.9, */*;q=0.5"}
    )
    socket_timeout = max(min(timeout, give_up_at - time.monotonic()), 0.01)
    # A moment of grace: a read that times out exactly at the deadline reports its own timeout.
    watchdog = _Watchdog(give_up_at + _WATCHDOG_GRACE_SECONDS) if opener is None else None
    open_url = _deadline_opener(watchdog) if watchdog is not None else opener
    phase = "the connection, status line and headers"
    try:
        try:
            response = open_url(request, timeout=socket_timeout)
        except urllib.error.HTTPError as exc:
            exc.close()  # release the connection; only the status matters
            raise _http_problem(exc.code, str(exc.reason), exc.headers) from None
        except OSError as exc:  # URLError, TimeoutError, ConnectionError
            raise _connection_problem(exc, socket_timeout) from None
        except http.client.HTTPException as exc:  # a garbled status line: a broken server, not a blip
            raise _Problem(f"invalid HTTP response ({type(exc).__name__}: {exc})") from None
        with response:
            headers_done_at = time.monotonic()
            status = getattr(response, "status", None) or response.getcode()
            if status != 200:  # urlopen raises for these; a custom opener may not
                raise _http_problem(status, str(getattr(response, "reason", "")), response.headers)
            phase = "the body"
            data = _read_body(response, give_up_at, max_bytes, socket_timeout)
            headers = response.headers
            if watchdog is not None and watchdog.fired.is_set():  # the shut socket looked like a normal end
                raise _Problem("the body ended at the deadline")
    except _Problem:
        if watchdog is not None and watchdog.fired.is_set():
            if phase == "the body" and watchdog.fired_at is not None and watchdog.fired_at <= headers_done_at:
                phase = "the connection, status line and headers"  # the cut headers only surfaced as a short body
            raise _Problem(
                f"the deadline passed while the server was still sending {phase}; the whole download "
                "(connect, status, headers, body and retries) must finish within --deadline"
            ) from None
        raise
    finally:
        if watchdog is not None:
            watchdog.cancel()
    # urllib does not complain when the server closes early, so compare with what it announced.
    declared = (headers.get("Content-Length") or "").strip()
    if declared.isdigit() and len(data) < int(declared):
        # Not retried: the server ended the transfer; running the refresh again is the retry.
        raise _Problem(
            f"the body is truncated: received {len(data)} of the {declared} bytes announced by Content-Length"
        )
    return data, headers


def _download(
    url: str, *, timeout: float, retries: int, backoff: float, deadline: float, opener: Opener | None, max_bytes: int
) -> _Download:
    started = time.monotonic()
    give_up_at = started + deadline
    attempts = 0
    last: _Retryable | None = None
    while attempts <= retries:
        attempts += 1
        try:
            data, headers = _attempt(url, opener, timeout, give_up_at, max_bytes)
            return _Download(data, headers, attempts, time.monotonic() - started)
        except _Retryable as exc:
            last = exc
        if attempts > retries:
            break
        delay = backoff * 2 ** (attempts - 1)
        if last.retry_after is not None:
            delay = max(delay, last.retry_after)
        if time.monotonic() + delay >= give_up_at:
            break  # the next attempt could not even start before the deadline
        time.sleep(delay)
    elapsed = time.monotonic() - started
    raise _Problem(
        f"gave up after {attempts} attempt(s) in {elapsed:.1f} s (retries {retries}, deadline {deadline:.3g} s); "
        f"last error: {last}"
    )


# --- checking what came back ---------------------------------------------------------------------


def _check_body(data: bytes, headers: Message) -> None:
    if not data.strip():
        raise _Problem("the response body is empty")
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if content_type in _HTML_TYPES or start.startswith((b"<!doctype", b"<html")):
        snippet = data[:80].decode("utf-8", "replace").strip()
        raise _Problem(
            f"the server sent an HTML page (Content-Type {content_type or 'missing'}), not a CSV file; "
            f"usually an error, login or bot-check page. It starts: {snippet!r}"
        )


def _cut_off_reason(data: bytes) -> str | None:
    """Why the file looks cut off mid-record, or None: refines read_text_table's generic errors."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # a multi-byte character cut at the very end
            return "the file ends in the middle of a UTF-8 character: the download looks cut off"
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader, None)
    if not header:
        return None
    last: list[str] | None = None
    records = 0
    try:
        for record in reader:
            if record:
                last, records = record, records + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # strict csv says this only for an open quote at EOF
            return f"the file ends inside a quoted field of record {records + 1}: the download looks cut off mid-record"
        return None
    if last is not None and len(last) < len(header):
        return (
            f"the last record (row {records}) has {len(last)} of the header's {len(header)} fields: "
            "the download looks cut off mid-record"
        )
    return None


def _check_table(path: Path, data: bytes, source: str, version: str) -> None:
    """The same reader and column check the build uses, so an accepted file will get through raw/clean."""
    name = SOURCES_BY_NAME[source].file_name
    try:
        frame = read_text_table(path, source=source, version=version)
    except RawFormatError as exc:
        # The message names the temporary path, which is gone by the time anyone reads it.
        raise _Problem(_cut_off_reason(data) or f"not a readable table: {str(exc).replace(str(path), name)}") from None
    header = [c for c in frame.columns if c not in LINEAGE_COLUMNS]
    if source in CLEANING_SPECS:
        try:
            require_columns(header, CLEANING_SPECS[source].columns, source_file=f"downloaded {name}")
        except MissingColumnsError as exc:
            raise _Problem(str(exc)) from None


def _check_rows(path: Path, data: bytes, source: str, version: str, previous, max_row_loss: float) -> None:
    """Refuse a file with no rows, one that loses more than max_row_loss of the previous version's
    rows (raw, or usable after cleaning), or one whose cleaned rows fail the source's own suite (the
    build's blocking check): a version the build could not publish is never added."""
    rows = count_csv_records(data)
    if rows == 0:
        raise _Problem("the file has a header but no rows")
    name = SOURCES_BY_NAME[source].file_name
    if previous is not None:
        before = previous.manifest.get("file", {}).get("rows")
        if before and rows < before * (1 - max_row_loss):
            raise _Problem(
                f"the file has {rows:,} rows where the previous version {previous.version} has {before:,}: "
                f"it loses {1 - rows / before:.0%} of them, more than the {max_row_loss:.0%} allowed "
                "(--max-row-loss); usually a download cut at a line boundary or a partial export"
            )
    if source not in CLEANING_SPECS:
        return
    from pipelines.lib.cleaning import CleanContext
    from pipelines.lib.stages import clean_frame
    from pipelines.lib.suites import SUITES
    from pipelines.lib.validation import run_suite

    spec = CLEANING_SPECS[source]
    snapshot_date = dt.date.fromisoformat(_retrieved(version))
    clean = clean_frame(
        read_text_table(path, source=source, version=version), spec, CleanContext(f"downloaded {name}", snapshot_date)
    ).clean
    if clean.height == 0:
        raise _Problem(f"none of the {rows:,} rows is usable after cleaning (every row would be quarantined)")
    if previous is not None:
        try:
            old_raw = read_text_table(previous.data_path, source=source, version=previous.version)
            old_clean = clean_frame(
                old_raw, spec, CleanContext(str(previous.data_path), dt.date.fromisoformat(previous.retrieved))
            ).clean
        except Exception:  # an unreadable previous version is no yardstick; the raw count above still held
            old_clean = None
        if old_clean is not None and old_clean.height and clean.height < old_clean.height * (1 - max_row_loss):
            raise _Problem(
                f"{clean.height:,} of its rows are usable after cleaning where the previous version "
                f"{previous.version} has {old_clean.height:,}: it loses {1 - clean.height / old_clean.height:.0%}, "
                f"more than the {max_row_loss:.0%} allowed (--max-row-loss)"
            )
    result = run_suite(clean, SUITES[spec.table](snapshot_date), table=f"clean.{spec.table}")
    if not result.success:
        failed = "; ".join(
            f"{o.column or o.kind}: {o.why or o.kind}" + (f" ({o.unexpected_count} rows)" if o.unexpected_count else "")
            for o in result.failures()[:5]
        )
        raise _Problem(
            f"the cleaned rows fail the source's own expectations (the build's blocking check on "
            f"clean.{spec.table}): {failed}"
        )


# --- versions and manifests ----------------------------------------------------------------------


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _choose_version(source_folder: Path, wanted: str, existing: list[str]) -> str:
    if not _VERSION_NAME.fullmatch(wanted):
        raise _Problem(f"invalid version name {wanted!r}: use letters, digits, '.', '_' or '-' (e.g. an ISO date)")
    # A folder of that name already holds other bytes (two downloads on one day): <name>.2, .3...
    candidate, n = wanted, 1
    while (source_folder / candidate).exists():
        n += 1
        candidate = f"{wanted}.{n}"
    # The build reads the newest version, and "newest" is the last in text order (list_versions).
    if existing and candidate <= existing[-1]:
        raise _Problem(
            f"version {candidate!r} would not sort after the newest version {existing[-1]!r}, so the build "
            "would not use it; pass a later --version"
        )
    return candidate


def _retrieved(version: str) -> str:
    match = _ISO_DATE_PREFIX.match(version)
    return match.group(0) if match else _today().isoformat()


def _new_origin(previous: dict | None, url: str, retrieved: str) -> dict:
    origin = dict(previous or {})
    # copied_from says which repository the old file was copied from; it is false for a download.
    origin.pop("copied_from", None)
    origin.update(url=url, retrieved=retrieved)
    return origin


def _provenance_note(source: str, version: str, url: str, download: _Download, previous: str | None) -> str:
    headers = download.headers
    lines = [
        f"# {source} {version}",
        "",
        f"- **How obtained**: downloaded by `flopcast sources refresh` from {url} "
        f"at {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} "
        f"({download.attempts} attempt(s), {download.elapsed_seconds:.1f} s); data not edited.",
        f"- **Previous version**: {previous or 'none'}",
    ]
    for header in ("Content-Type", "Content-Length", "Last-Modified", "ETag"):
        if headers.get(header):
            lines.append(f"- **{header}**: `{headers.get(header)}`")
    return "\n".join(lines) + "\n"


# --- the operations ------------------------------------------------------------------------------


def refresh_source(
    sources_dir: Path,
    source: str,
    *,
    url: str | None = None,
    version: str | None = None,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 1.0,
    opener: Opener | None = None,
    deadline: float | None = None,
    max_bytes: int = MAX_BYTES,
    max_row_loss: float = MAX_ROW_LOSS,
) -> RefreshResult:
    """Download ``source`` and add a version folder if the bytes are new and pass every check.

    ``timeout`` bounds each socket operation; ``deadline`` (default: enough for every attempt to
    time out plus the backoff sleeps) bounds the whole download. Connection errors, timeouts and
    HTTP 5xx/429 are retried up to ``retries`` times, sleeping ``backoff * 2**n`` seconds between
    attempts; any other HTTP error fails at once. Only http(s) is fetched, redirects included.
    A new version must keep at least 1 - ``max_row_loss`` of the previous version's rows and pass the
    source's own expectations. Raises RefreshRejected (sources/ unchanged).
    """
    sources_dir = Path(sources_dir)
    if source not in SOURCES_BY_NAME:
        raise SourceError(f"unknown source {source!r}; known: {', '.join(SOURCES_BY_NAME)}")
    if timeout <= 0 or retries < 0 or backoff < 0 or not 0 <= max_row_loss <= 1:
        raise ValueError(
            "timeout must be positive; retries and backoff must not be negative; max_row_loss is a share from 0 to 1"
        )
    versions = list_versions(sources_dir, source)
    previous = load_snapshot(sources_dir, source) if versions else None
    url = url or (previous.manifest.get("origin", {}).get("url") if previous else None)
    if not url:
        raise SourceError(f"{source}: no URL to download from (no manifest with origin.url); pass --url")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise RefreshRejected(source, url, "only http and https URLs are downloaded")
    if deadline is None:
        deadline = timeout * (retries + 1) + sum(backoff * 2**n for n in range(retries))

    try:
        download = _download(
            url,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            deadline=deadline,
            opener=opener,
            max_bytes=max_bytes,
        )
        _check_body(download.data, download.headers)
    except _Problem as exc:
        raise RefreshRejected(source, url, str(exc)) from None

    data = download.data
    sha256 = hashlib.sha256(data).hexdigest()
    if previous is not None and sha256 == previous.sha256:
        return RefreshResult(
            source,
            url,
            "unchanged",
            previous.version,
            previous.version,
            sha256,
            len(data),
            previous.manifest["file"]["rows"],
            download.attempts,
            download.elapsed_seconds,
        )

    source_folder = sources_dir / source
    try:
        new_version = _choose_version(source_folder, version or _today().isoformat(), versions)
    except _Problem as exc:
        raise RefreshRejected(source, url, str(exc)) from None
    origin = _new_origin(previous.manifest.get("origin") if previous else None, url, _retrieved(new_version))
    note = _provenance_note(source, new_version, url, download, previous.version if previous else None)

    created_source_folder = not source_folder.exists()
    try:
        source_folder.mkdir(parents=True, exist_ok=True)
        incoming = Path(tempfile.mkdtemp(prefix=INCOMING_PREFIX, dir=source_folder))
    except OSError as exc:  # a read-only or missing sources folder: say so, no traceback
        raise RefreshRejected(source, url, f"cannot write under {source_folder}: {exc.strerror or exc}") from None
    try:  # finally, not except: an interrupt (Ctrl-C) must not leave a half-written folder either
        candidate = incoming / SOURCES_BY_NAME[source].file_name
        candidate.write_bytes(data)
        _check_table(candidate, data, source, new_version)
        _check_rows(candidate, data, source, new_version, previous, max_row_loss)
        # write_snapshot builds the manifest, so a refreshed version looks exactly like a bundled one;
        # it writes <incoming>/<source>/<version>/, which is renamed into place in one step.
        snapshot = write_snapshot(incoming, source, new_version, data, origin, provenance_note=note)
        verify_snapshot(snapshot)
        final = source_folder / new_version
        if final.exists():  # another refresh got there first
            raise _Problem(f"{final} appeared while downloading; run the refresh again")
        os.rename(snapshot.folder, final)
    except _Problem as exc:
        raise RefreshRejected(source, url, str(exc)) from None
    except OSError as exc:  # a full disk or a folder that turned read-only while writing
        raise RefreshRejected(source, url, f"cannot write under {source_folder}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
        if created_source_folder and source_folder.is_dir() and not any(source_folder.iterdir()):
            with contextlib.suppress(OSError):
                source_folder.rmdir()

    return RefreshResult(
        source,
        url,
        "new",
        new_version,
        previous.version if previous else None,
        sha256,
        len(data),
        snapshot.manifest["file"]["rows"],
        download.attempts,
        download.elapsed_seconds,
    )


def list_sources(sources_dir: Path) -> list[dict]:
    """Every version of every catalogued source, in catalogue order then oldest first."""
    rows = []
    for spec in SOURCES:
        for version in list_versions(Path(sources_dir), spec.name):
            manifest = load_snapshot(Path(sources_dir), spec.name, version).manifest
            file = manifest.get("file", {})
            rows.append(
                {
                    "source": spec.name,
                    "version": version,
                    "retrieved": manifest.get("origin", {}).get("retrieved"),
                    "rows": file.get("rows"),
                    "sha256": file.get("sha256"),
                    "size": file.get("size_bytes"),
                }
            )
    return rows


def verify_sources(sources_dir: Path) -> list[tuple[str, str, bool, str]]:
    """(source, version, ok, message) for every version: check each manifest against
    sources/manifest.schema.json and re-hash its data file against it."""
    results = []
    for spec in SOURCES:
        for version in list_versions(Path(sources_dir), spec.name):
            try:
                snapshot = load_snapshot(Path(sources_dir), spec.name, version)
                problems = manifest_problems(snapshot.manifest)
                if problems:
                    raise SourceError(
                        f"{snapshot.folder / MANIFEST_NAME} does not match {MANIFEST_SCHEMA_PATH.name}: "
                        + "; ".join(problems)
                    )
                digest = verify_snapshot(snapshot)
            except (SourceError, ValueError, KeyError) as exc:  # ValueError/KeyError: unreadable manifest
                results.append((spec.name, version, False, str(exc) or type(exc).__name__))
            else:
                results.append((spec.name, version, True, f"sha256 {digest}"))
    return results
