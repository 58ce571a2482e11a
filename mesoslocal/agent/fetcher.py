"""The Mesos fetcher: `CommandInfo.uris` downloaded or copied into a sandbox before the container starts (D1, D2).

Each URI is `{value, executable (false), extract (true), cache, output_file}`:

* `value` is an `http(s)://` or `ftp://` URL, a `file://` URL or an absolute local path (Mesos would resolve a
  relative path against `--frameworks_home`, which mesoslocal does not have, so those fail).
* The file lands in the sandbox as `output_file` (a relative path) or else as the last path segment of the URI
  (the query string is kept, as Mesos keeps it).
* `executable` makes it mode 0755 and skips extraction; otherwise, with `extract`, an archive (`.tar`, `.tar.gz`,
  `.tgz`, `.tar.bz2`, `.tbz2`, `.tar.xz`, `.txz`, `.zip`) is also unpacked into the sandbox; it stays there too.
* `cache` is accepted and ignored: every fetch downloads afresh (Mesos's BYPASS_CACHE).

Like the Mesos fetcher, the progress log is appended to the sandbox's `stderr`. A failure fails the container
launch with "Failed to fetch all URIs for container '<id>': exited with status 1", the agent prefixing
"Failed to launch container: " (TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED); the cause is in that log.

The work runs on a thread (never on the event loop) with a deadline and a per-read stall timeout, and stops at
the next chunk when cancelled, so no thread outlives its launch for long.
"""

from __future__ import annotations

import asyncio
import stat
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from mesoslocal.agent.processes import LazyThreadPool

STALL_TIMEOUT = 60.0  # seconds without data before a download fails (Mesos's --fetcher_stall_timeout)
DEFAULT_TIMEOUT = 600.0  # a whole container's fetch
CHUNK = 1 << 16
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
URL_SCHEMES = ("http", "https", "ftp")
_threads = LazyThreadPool(8, "mesoslocal-fetch")
shutdown_threads = _threads.shutdown  # joins the fetcher threads (a cluster calls it when it stops)


class FetchError(Exception):
    """One URI could not be fetched (the text goes to the fetcher log)."""


class FetchFailed(Exception):
    """The container's fetch failed; `str()` is the message Mesos gives the launch failure."""


# -- pure parts -------------------------------------------------------------------------------------------------
def uri_basename(uri: str) -> str:
    """The file name a URI is fetched as: its last path segment (`http://h/a/b.tgz?x=1` → `b.tgz?x=1`)."""
    if not uri or "\0" in uri:
        raise FetchError(f"Invalid URI: {uri!r}")
    scheme_end = uri.find("://")
    path = uri
    if scheme_end > 1:
        slash = uri.find("/", scheme_end + 3)
        if slash < 0:
            raise FetchError(f"Malformed URI (no path): {uri}")
        path = uri[slash:]
    name = PurePosixPath(path).name
    if not name or name in (".", ".."):
        raise FetchError(f"Cannot determine a file name for URI: {uri}")
    return name


def archive_format(name: str) -> str | None:
    """'tar' or 'zip' when a file of that name is extracted, else None (other files, e.g. `.gz`, are not)."""
    lower = name.lower()
    if lower.endswith(TAR_SUFFIXES):
        return "tar"
    if lower.endswith(".zip"):
        return "zip"
    return None


def destination(uri: dict) -> PurePosixPath:
    """Where in the sandbox a URI lands (relative): `output_file` or the URI's basename."""
    output = uri.get("output_file")
    if not output:
        return PurePosixPath(uri_basename(uri.get("value", "")))
    path = PurePosixPath(output)
    if path.is_absolute() or ".." in path.parts or not path.name:
        raise FetchError(f"Invalid output_file {output!r}: it must be a relative path inside the sandbox")
    return path


def source_kind(value: str) -> tuple[str, str]:
    """('url', url) for downloads, ('file', path) for local copies; FetchError for anything else."""
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme in URL_SCHEMES:
        return "url", value
    if scheme == "file":
        return "file", urllib.parse.unquote(urllib.parse.urlsplit(value).path)
    if scheme:
        raise FetchError(f"Unsupported URI scheme '{scheme}' in {value}")
    if not value.startswith("/"):
        raise FetchError(f"Relative path {value!r} needs --frameworks_home, which this agent does not have")
    return "file", value


# -- I/O (runs on a fetcher thread) ----------------------------------------------------------------------------
class _Abort:
    def __init__(self, deadline: float, cancelled: threading.Event) -> None:
        self.deadline, self.cancelled = deadline, cancelled

    def check(self) -> None:
        if self.cancelled.is_set():
            raise FetchError("fetch cancelled")
        if time.monotonic() > self.deadline:
            raise FetchError("fetch timed out")


def _download(url: str, target: Path, abort: _Abort) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "mesoslocal-fetcher"})
    try:
        with urllib.request.urlopen(request, timeout=STALL_TIMEOUT) as response, open(target, "wb") as out:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                abort.check()
    except urllib.error.HTTPError as error:
        raise FetchError(f"Error downloading resource, received HTTP return code {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise FetchError(f"Error downloading resource: {getattr(error, 'reason', error)}") from error


def _copy(source: str, target: Path, abort: _Abort) -> None:
    path = Path(source)
    if path.is_dir():
        raise FetchError(f"Cannot fetch a directory: {source}")
    try:
        with open(path, "rb") as src, open(target, "wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
                abort.check()
    except OSError as error:
        raise FetchError(f"Failed to copy '{source}': {error.strerror or error}") from error


def _extract(archive: Path, kind: str, sandbox: Path) -> None:
    try:
        if kind == "tar":
            with tarfile.open(archive, "r:*") as tar:
                tar.extractall(sandbox, filter="tar")
        else:
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.infolist():
                    path = Path(zipped.extract(member, sandbox))
                    mode = (member.external_attr >> 16) & 0o7777
                    if mode and not member.is_dir():
                        path.chmod(mode)
    except Exception as error:  # a corrupt archive can fail in many ways (TarError, EOFError, zlib.error, ...)
        raise FetchError(f"Failed to extract '{archive.name}': {error}") from error


def fetch_one(uri: dict, sandbox: Path, say: Callable[[str], None], abort: _Abort) -> Path:
    value = uri.get("value", "")
    relative = destination(uri)
    kind, source = source_kind(value)
    target = sandbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    say(f"Fetching URI '{value}' into '{target}'")
    (_download if kind == "url" else _copy)(source, target, abort)
    say(f"Fetched '{value}' ({target.stat().st_size} bytes)")
    if uri.get("executable", False):
        target.chmod(target.stat().st_mode | stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH
                     | stat.S_IXOTH)
        say(f"Made '{target.name}' executable")
    elif uri.get("extract", True) and (archive := archive_format(relative.name)):
        _extract(target, archive, sandbox)
        say(f"Extracted '{target.name}' into '{sandbox}'")
    return target


def fetch_all(uris: list[dict], sandbox: Path, *, timeout: float = DEFAULT_TIMEOUT,
              cancelled: threading.Event | None = None) -> None:
    """Fetch every URI into `sandbox` in order, logging to `sandbox/stderr`; FetchError on the first failure."""
    abort = _Abort(time.monotonic() + timeout, cancelled or threading.Event())
    with open(sandbox / "stderr", "a", encoding="utf-8") as log:
        def say(line: str) -> None:
            log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} fetcher: {line}\n")
            log.flush()

        say(f"Fetching {len(uris)} URI(s) into the sandbox directory '{sandbox}'")
        try:
            for uri in uris:
                fetch_one(uri, sandbox, say, abort)
        except FetchError as error:
            say(f"Failed to fetch '{uri.get('value', '')}': {error}")
            raise
        say(f"Successfully fetched all URIs into '{sandbox}'")


# -- asyncio side -----------------------------------------------------------------------------------------------
async def fetch(uris: list[dict], sandbox: Path, container_id: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Fetch `uris` into `sandbox` off the loop; FetchFailed with Mesos's message when any of them fails."""
    if not uris:
        return
    cancelled = threading.Event()
    job = asyncio.get_running_loop().run_in_executor(
        _threads.get(), lambda: fetch_all(uris, sandbox, timeout=timeout, cancelled=cancelled))
    try:
        await asyncio.wait_for(asyncio.shield(job), timeout + STALL_TIMEOUT)
    except (FetchError, TimeoutError, OSError) as error:
        cancelled.set()
        raise FetchFailed(f"Failed to fetch all URIs for container '{container_id}': exited with status 1") \
            from error
    except asyncio.CancelledError:
        cancelled.set()
        raise

