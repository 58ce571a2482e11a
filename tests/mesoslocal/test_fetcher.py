"""The Mesos fetcher (`CommandInfo.uris`): pure naming/archive rules, local fetches, and command tasks and custom
executors whose URIs come from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import functools
import io
import stat
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from launchers.docker import TEST_IMAGE
from mesoslocal.agent.fetcher import FetchError, archive_format, destination, fetch_all, source_kind, uri_basename
from mesoslocal.cluster import LocalCluster
from tests.mesoslocal.sched import command_task, running_driver, scalar

EXECUTOR_SCRIPT = Path(__file__).with_name("pymesos_executor.py")


# -- pure parts ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("uri", "name"), [
    ("http://host:8080/a/b/app.tgz", "app.tgz"),
    ("https://host/x.tar.gz?sig=1", "x.tar.gz?sig=1"),  # Mesos keeps the query in the name
    ("file:///opt/tools/run.sh", "run.sh"),
    ("/opt/tools/run.sh", "run.sh"),
    ("hdfs://nn:9000/dir/data.zip", "data.zip"),
])
def test_uri_basename(uri: str, name: str) -> None:
    assert uri_basename(uri) == name


@pytest.mark.parametrize("uri", ["http://host", "", "/", "http://host/.."])
def test_uri_basename_rejects(uri: str) -> None:
    with pytest.raises(FetchError):
        uri_basename(uri)


@pytest.mark.parametrize(("name", "kind"), [
    ("a.tar", "tar"), ("a.tar.gz", "tar"), ("a.TGZ", "tar"), ("a.tar.bz2", "tar"), ("a.tbz2", "tar"),
    ("a.tar.xz", "tar"), ("a.txz", "tar"), ("a.zip", "zip"),
    ("a.gz", None), ("a.bz2", None), ("a.sh", None), ("tar", None), ("a.tar.gz.sig", None), ("a.jar", None),
])
def test_archive_format(name: str, kind: str | None) -> None:
    assert archive_format(name) == kind


def test_destination_and_source() -> None:
    assert str(destination({"value": "http://h/p/app.tgz"})) == "app.tgz"
    assert str(destination({"value": "http://h/p/app.tgz", "output_file": "lib/app.tar.gz"})) == "lib/app.tar.gz"
    for bad in ("/etc/passwd", "../up", "a/../../b"):
        with pytest.raises(FetchError):
            destination({"value": "http://h/x", "output_file": bad})
    assert source_kind("https://h/x") == ("url", "https://h/x")
    assert source_kind("file:///tmp/a%20b") == ("file", "/tmp/a b")
    assert source_kind("/tmp/a") == ("file", "/tmp/a")
    for bad in ("relative/path", "s3://bucket/key"):
        with pytest.raises(FetchError):
            source_kind(bad)


# -- archives and files on disk -----------------------------------------------------------------------------------
def _tar(path: Path, mode: str, files: dict[str, tuple[bytes, int]]) -> Path:
    with tarfile.open(path, mode) as tar:
        for name, (data, file_mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), file_mode
            tar.addfile(info, io.BytesIO(data))
    return path


def _zip(path: Path, files: dict[str, tuple[bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        for name, (data, file_mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | file_mode) << 16
            zipped.writestr(info, data)
    return path


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """A directory of things to fetch: archives of every kind, scripts and plain files."""
    www = tmp_path / "www"
    www.mkdir()
    run_sh = (b"#!/bin/sh\necho from-bundle > bundle-ran\n", 0o755)
    _tar(www / "bundle.tar.gz", "w:gz", {"bundle/hello.txt": (b"hello\n", 0o644), "bundle/run.sh": run_sh})
    _tar(www / "plain.tar", "w", {"p/one.txt": (b"1", 0o644)})
    _tar(www / "b.tar.bz2", "w:bz2", {"b/two.txt": (b"2", 0o644)})
    _tar(www / "x.txz", "w:xz", {"x/three.txt": (b"3", 0o644)})
    _zip(www / "data.zip", {"z/four.txt": (b"4", 0o644), "z/tool.sh": (b"#!/bin/sh\nexit 0\n", 0o755)})
    (www / "script.sh").write_text("echo script-ran > marker\n")
    (www / "tool.sh").write_text("#!/bin/sh\necho tool-ran > tool-marker\n")
    (www / "notes.txt.gz").write_bytes(b"not really gzip")
    (www / "pymesos_executor.py").write_bytes(EXECUTOR_SCRIPT.read_bytes())
    return www


def test_fetch_all_local(artifacts: Path, tmp_path: Path) -> None:
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    fetch_all([{"value": str(artifacts / "plain.tar")},
               {"value": f"file://{artifacts}/b.tar.bz2"},
               {"value": str(artifacts / "x.txz")},
               {"value": str(artifacts / "data.zip")},
               {"value": str(artifacts / "notes.txt.gz")},
               {"value": str(artifacts / "bundle.tar.gz"), "extract": False, "output_file": "keep/b.tgz"},
               {"value": str(artifacts / "x.txz"), "executable": True, "output_file": "x-exec.txz"},
               {"value": str(artifacts / "tool.sh"), "executable": True}], sandbox)
    for name, text in (("p/one.txt", "1"), ("b/two.txt", "2"), ("x/three.txt", "3"), ("z/four.txt", "4")):
        assert (sandbox / name).read_text() == text
    assert (sandbox / "z/tool.sh").stat().st_mode & 0o777 == 0o755  # zip members keep their mode
    for archive in ("plain.tar", "b.tar.bz2", "x.txz", "data.zip"):
        assert (sandbox / archive).is_file()  # the archive itself stays next to what it held
    assert (sandbox / "notes.txt.gz").read_bytes() == b"not really gzip"  # only archives are unpacked
    assert (sandbox / "keep/b.tgz").is_file() and not (sandbox / "bundle").exists()  # extract: false
    assert (sandbox / "x-exec.txz").stat().st_mode & 0o111 == 0o111  # executable, and so not extracted
    assert (sandbox / "tool.sh").stat().st_mode & 0o777 == 0o755
    log = (sandbox / "stderr").read_text()
    assert "Successfully fetched all URIs" in log and log.count("Fetching URI") == 8


def test_fetch_all_failures(artifacts: Path, tmp_path: Path) -> None:
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    (artifacts / "broken.tgz").write_bytes(b"this is no tarball")
    for uri in ({"value": str(artifacts / "missing.txt")}, {"value": str(artifacts)},
                {"value": str(artifacts / "broken.tgz")}, {"value": "relative.txt"}):
        with pytest.raises(FetchError):
            fetch_all([uri], sandbox)
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(FetchError, match="cancelled"):
        fetch_all([{"value": str(artifacts / "tool.sh")}], sandbox, cancelled=cancelled)
    assert (sandbox / "stderr").read_text().count("Failed to fetch") == 5


# -- through the cluster, from a real HTTP server -------------------------------------------------------------------
class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_base(artifacts: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(artifacts)))
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _sandbox(cluster: LocalCluster, executor_id: str) -> Path:
    runs = list(cluster.agents[0].agent.work_dir.rglob(f"executors/{executor_id}/runs/*"))
    assert len(runs) == 1
    return runs[0]


def test_command_task_uses_fetched_files(mesos_cluster_factory, http_base: str, artifacts: Path) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    (artifacts / "local.txt").write_text("local\n")
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        command = ("sh ./script.sh && ./tool.sh && ./bundle/run.sh && test -f bundle/hello.txt"
                   " && test ! -x script.sh && test -f conf/renamed.txt && test -f local.txt")
        task = command_task(offer, command)
        task["command"]["uris"] = [
            {"value": f"{http_base}/script.sh"},
            {"value": f"{http_base}/tool.sh", "executable": True},
            {"value": f"{http_base}/bundle.tar.gz", "extract": True, "cache": False},
            {"value": f"file://{artifacts}/local.txt", "output_file": "conf/renamed.txt"},
            {"value": str(artifacts / "local.txt")},
        ]
        task_id = task["task_id"]["value"]
        driver.launchTasks(offer["id"], [task])
        rec.wait_state(task_id, "TASK_FINISHED")
        assert rec.states(task_id) == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
        sandbox = _sandbox(cluster, task_id)
        assert (sandbox / "marker").read_text() == "script-ran\n"
        assert (sandbox / "tool-marker").read_text() == "tool-ran\n"
        assert (sandbox / "bundle-ran").read_text() == "from-bundle\n"
        assert "Successfully fetched all URIs" in (sandbox / "stderr").read_text()


def test_missing_uri_fails_the_launch(mesos_cluster_factory, http_base: str) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, "touch ran")
        task["command"]["uris"] = [{"value": f"{http_base}/script.sh"}, {"value": f"{http_base}/nope.tgz"}]
        task_id = task["task_id"]["value"]
        driver.launchTasks(offer["id"], [task])
        failed = rec.wait_state(task_id, "TASK_FAILED")
        assert rec.states(task_id) == ["TASK_FAILED"]
        assert failed["reason"] == "REASON_CONTAINER_LAUNCH_FAILED" and failed["source"] == "SOURCE_AGENT"
        assert failed["message"].startswith("Failed to launch container: Failed to fetch all URIs for container '")
        assert failed["message"].endswith("': exited with status 1")
        sandbox = _sandbox(cluster, task_id)
        assert not (sandbox / "ran").exists()
        log = (sandbox / "stderr").read_text()
        assert "nope.tgz" in log and "HTTP return code 404" in log


def test_custom_executor_uris(mesos_cluster_factory, http_base: str) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        tasks = []
        for executor_id, script in (("fetched", "pymesos_executor.py"), ("unfetchable", "gone.py")):
            task = command_task(offer, "", task_id=f"{executor_id}-task")
            del task["command"]
            task["executor"] = {"executor_id": {"value": executor_id},
                                "command": {"value": f"exec {sys.executable} ./{script}",
                                            "uris": [{"value": f"{http_base}/{script}"}]},
                                "resources": [scalar("cpus", 0.1), scalar("mem", 32)]}
            tasks.append(task)
        driver.launchTasks(offer["id"], tasks)
        rec.wait_state("fetched-task", "TASK_RUNNING")
        failed = rec.wait_state("unfetchable-task", "TASK_FAILED")
        assert failed["reason"] == "REASON_CONTAINER_LAUNCH_FAILED"
        assert "Failed to fetch all URIs for container" in failed["message"]
        assert (_sandbox(cluster, "fetched") / "pymesos_executor.py").is_file()


def test_docker_task_sees_fetched_files(docker_daemon, mesos_cluster_factory, http_base: str) -> None:
    cluster: LocalCluster = mesos_cluster_factory(agents=1, docker_host=docker_daemon.host)
    with running_driver(cluster.master_url) as (driver, rec):
        offer = rec.take_offer()
        task = command_task(offer, 'cd "$MESOS_SANDBOX" && sh ./script.sh && test -f bundle/hello.txt',
                            task_id="boxed", container={"type": "DOCKER", "docker": {"image": TEST_IMAGE}})
        task["command"]["uris"] = [{"value": f"{http_base}/script.sh"}, {"value": f"{http_base}/bundle.tar.gz"}]
        driver.launchTasks(offer["id"], [task])
        rec.wait_state("boxed", "TASK_FINISHED", timeout=60)
        assert (_sandbox(cluster, "boxed") / "marker").read_text() == "script-ran\n"
