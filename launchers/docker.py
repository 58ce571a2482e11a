"""A private Docker daemon (Debian's docker.io) with its own roots, socket and bridge, and an offline image.

No image registry is reachable here, so the stack's images are built from busybox-static with
`docker import`: `STACK_IMAGE` (`balalaika/busybox:latest`, what `balalaika up` makes available to any
daemon it uses and the examples run) and `TEST_IMAGE` (the test suite's). Both hold busybox with every applet
in /bin (sh, httpd, nc, ...), a /www folder with an index.html, and /etc/passwd.

The daemon runs with --iptables=false and --ip-forward=false: published ports go through docker-proxy on the
host, and the machine's firewall and forwarding settings are left untouched.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
from pathlib import Path

from launchers.process import Daemon
from launchers.waiting import GiveUp, wait_for

STACK_IMAGE = "balalaika/busybox:latest"
TEST_IMAGE = "balalaika-test/busybox:1"
BUSYBOX = Path("/bin/busybox")
PT_INTERP = 3  # ELF program header type naming the dynamic loader


def docker_cli(host: str, *args: str, timeout: float = 60.0, stdin: bytes | None = None) -> str:
    """Runs the docker CLI against the daemon at `host` (a DOCKER_HOST value) and returns its output.

    Raises CalledProcessError with the CLI's output on failure, FileNotFoundError without a docker CLI and
    TimeoutExpired after `timeout` seconds."""
    result = subprocess.run(["docker", "-H", host, *args], input=stdin, capture_output=True, timeout=timeout,
                            check=False)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout, result.stderr)
    return result.stdout.decode()


def has_image(host: str, tag: str) -> bool:
    """Whether the daemon at `host` holds the image `tag`. Raises as docker_cli does when it does not answer."""
    try:
        docker_cli(host, "image", "inspect", "--format", "{{.Id}}", tag, timeout=30)
    except subprocess.CalledProcessError as error:
        if b"No such image" in error.stderr or b"no such image" in error.stderr:
            return False
        raise
    return True


def import_busybox_image(host: str, tag: str) -> str:
    """Imports a busybox-static root filesystem as `tag` into the daemon at `host` (0.1 s, 2 MB, offline)."""
    docker_cli(host, "import", "-c", 'CMD ["/bin/sh"]', "-c", "ENV PATH=/bin", "-", tag,
               stdin=busybox_rootfs_tar())
    return tag


def ensure_busybox_image(host: str, tag: str = STACK_IMAGE) -> bool:
    """Imports the busybox image as `tag` unless the daemon has an image of that name (a user's own is kept).
    Returns whether it was imported."""
    if has_image(host, tag):
        return False
    import_busybox_image(host, tag)
    return True


def busybox_problem(busybox: Path = BUSYBOX) -> str | None:
    """Why `busybox` cannot fill an image (missing, or linked against the host's libc), or None."""
    try:
        if not is_static_executable(busybox):
            return f"{busybox} is dynamically linked, so it cannot run in an image with no libc"
    except FileNotFoundError:
        return f"{busybox} is missing"
    except ValueError as error:
        return str(error)
    return None


def is_static_executable(path: Path) -> bool:
    """Whether an ELF executable runs without a dynamic loader (it has no PT_INTERP program header).

    Raises FileNotFoundError when `path` does not exist and ValueError when it is not an ELF file."""
    with open(path, "rb") as elf:
        header = elf.read(64)
        if header[:4] != b"\x7fELF":
            raise ValueError(f"{path} is not an ELF executable")
        wide, order = header[4] == 2, "<" if header[5] == 1 else ">"
        if wide:  # ELF64: e_phoff at 0x20, e_phentsize and e_phnum at 0x36
            (offset,) = struct.unpack_from(order + "Q", header, 0x20)
            entry_size, count = struct.unpack_from(order + "HH", header, 0x36)
        else:  # ELF32: e_phoff at 0x1C, e_phentsize and e_phnum at 0x2A
            (offset,) = struct.unpack_from(order + "I", header, 0x1C)
            entry_size, count = struct.unpack_from(order + "HH", header, 0x2A)
        elf.seek(offset)
        table = elf.read(entry_size * count)
    kinds = (struct.unpack_from(order + "I", table, i * entry_size)[0] for i in range(count))
    return PT_INTERP not in kinds


class BridgeInUse(RuntimeError):
    """The bridge a private daemon would use is another running daemon's."""


def bridge_owner(name: str) -> int | None:
    """The pid of a running dockerd started with ``--bridge=<name>``, if any."""
    wanted = f"--bridge={name}".encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            argv = Path(entry.path, "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"dockerd" and wanted in argv:
            return int(entry.name)
    return None


class DockerDaemon:
    """dockerd on a unix socket under a short private folder, bridged on `bridge_cidr` (a /24 gateway).

    Its images and containers live in `data_root` (by default in the private folder, removed at stop; a
    folder of the caller's keeps images across runs) and its log in `log` (by default in the private folder).
    """

    def __init__(self, bridge_name: str, bridge_cidr: str, binary: str = "dockerd", data_root: Path | None = None,
                 log: Path | None = None) -> None:
        # unix socket paths are limited to 108 bytes and containerd nests its sockets under exec-root
        self.home = Path(tempfile.mkdtemp(prefix="bdk"))
        self.bridge_name = bridge_name
        self.bridge_cidr = bridge_cidr
        self.binary = binary
        self.data_root = data_root or self.home / "root"
        self.log = log or self.home / "dockerd.log"
        self.socket = self.home / "docker.sock"
        self.daemon: Daemon | None = None

    @property
    def host(self) -> str:
        """The DOCKER_HOST value for clients of this daemon."""
        return f"unix://{self.socket}"

    def docker(self, *args: str, timeout: float = 60.0, stdin: bytes | None = None) -> str:
        """Runs the docker CLI against this daemon; raises CalledProcessError with its output on failure."""
        return docker_cli(self.host, *args, timeout=timeout, stdin=stdin)

    def start(self, timeout: float = 30.0) -> DockerDaemon:
        """Starts dockerd on a bridge of its own. Raises BridgeInUse when a running dockerd has that bridge
        (another stack): deleting it would cut that stack's containers off."""
        owner = bridge_owner(self.bridge_name)
        if owner is not None:
            raise BridgeInUse(f"the bridge {self.bridge_name} belongs to a running dockerd (pid {owner}); "
                              "choose another bridge name and address range")
        # a bridge of our name without a daemon is a leftover of a run that was killed before it could clean up
        subprocess.run(["ip", "link", "del", self.bridge_name], capture_output=True, timeout=10, check=False)
        subprocess.run(["ip", "link", "add", self.bridge_name, "type", "bridge"], check=True, timeout=10)
        subprocess.run(["ip", "addr", "add", self.bridge_cidr, "dev", self.bridge_name], check=True, timeout=10)
        subprocess.run(["ip", "link", "set", self.bridge_name, "up"], check=True, timeout=10)
        argv = [self.binary, "--data-root", str(self.data_root), "--exec-root", str(self.home / "exec"),
                "-H", self.host, "--pidfile", str(self.home / "dockerd.pid"), "--storage-driver", "overlay2",
                "--iptables=false", "--ip-forward=false", "--ip-masq=false", f"--bridge={self.bridge_name}",
                "--userland-proxy=true"]
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
        self.daemon = Daemon(argv, self.log, env=env).start()
        wait_for(self._answers, timeout, "dockerd to answer")
        return self

    def _answers(self) -> bool:
        if self.daemon is None or not self.daemon.alive():
            raise GiveUp(f"dockerd exited:\n{self.daemon.log_tail() if self.daemon else ''}")
        try:
            self.docker("version", "--format", "{{.Server.Version}}", timeout=5)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return False
        return True

    def build_busybox_image(self, tag: str = TEST_IMAGE) -> str:
        """Imports a busybox-static root filesystem (sh, httpd, nc, ...) as `tag`."""
        return import_busybox_image(self.host, tag)

    def remove_all_containers(self) -> int:
        """Removes every container of this daemon; returns how many there were."""
        ids = self.docker("ps", "-aq").split()
        if ids:
            self.docker("rm", "-f", *ids, timeout=120)
        return len(ids)

    def stop(self, timeout: float = 30.0) -> None:
        """Removes containers, stops dockerd and undoes what it left on the host (mounts, bridge, files)."""
        if self.daemon is not None and self.daemon.alive():
            try:
                self.remove_all_containers()
            finally:
                self.daemon.stop(timeout=timeout)
        self._unmount_leftovers()
        if bridge_owner(self.bridge_name) is None:  # never another stack's (a start refused for it comes here too)
            subprocess.run(["ip", "link", "del", self.bridge_name], capture_output=True, timeout=10, check=False)
        shutil.rmtree(self.home, ignore_errors=True)

    def _unmount_leftovers(self) -> None:
        # dockerd leaves nsfs and overlay mounts under its roots when it is stopped
        roots = (f"{self.home}/", f"{self.data_root}/")
        with open("/proc/self/mounts") as mounts:
            targets = [line.split()[1] for line in mounts if line.split()[1].startswith(roots)]
        for target in sorted(targets, key=len, reverse=True):
            subprocess.run(["umount", "-l", target], capture_output=True, timeout=10, check=False)


def busybox_rootfs_tar() -> bytes:
    """A tar stream of a minimal root filesystem: busybox with its applets linked in /bin."""
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True,
                             timeout=10).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "www", "etc", "tmp", "proc", "sys", "dev"):
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        tar.add(str(BUSYBOX), "bin/busybox")
        for applet in applets:
            if applet != "busybox":
                link = tarfile.TarInfo(f"bin/{applet}")
                link.type = tarfile.SYMTYPE
                link.linkname = "busybox"
                tar.addfile(link)
        for name, text in (("www/index.html", "hello from busybox\n"),
                           ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n"),
                           ("etc/group", "root:x:0:\nnogroup:x:65534:\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
