"""The Vagrant lab (vagrant/), checked without booting anything: `vagrant validate` on the Vagrantfile under
several settings and refused ones, shellcheck on every script, the provisioning helpers' write-if-different,
and the node list (vagrant/nodes.rb) against what the README, smoke.sh and the provisioning expect.

vagrant, ruby and shellcheck come from scripts/install.sh. Where they are missing the tests are skipped on a
developer's machine but fail under CI (`CI=true`, as `.ci/run` sets)."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "vagrant"
PROVISION = LAB / "provision"
INSTALL_HINT = "install vagrant/shellcheck: bash scripts/install.sh"
TRUE = {"1", "true", "yes", "on"}
# what the lab reads from the environment: never inherited from the shell running the tests
SETTINGS = ("AGENTS", "BOX", "MASTER_MEM", "AGENT_MEM", "EDGE_MEM", "CPUS", "MESOS", "MESOS_SOURCE",
            "MESOS_VERSION", "VAGRANT_CWD", "VAGRANT_DEFAULT_PROVIDER", "VAGRANT_VAGRANTFILE")


def require(program: str) -> str:
    """The program's path; skips the test without it, or fails it under CI."""
    path = shutil.which(program)
    if path is None:
        reason = f"{program} is not installed: {INSTALL_HINT}"
        if os.environ.get("CI", "").strip().lower() in TRUE:
            pytest.fail(f"CI={os.environ['CI']}: {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def lab_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(VAGRANT_HOME=str(tmp_path / "vagrant-home"), VAGRANT_DOTFILE_PATH=str(tmp_path / "dotfile"),
               VAGRANT_CHECKPOINT_DISABLE="1", VAGRANT_BOX_UPDATE_CHECK_DISABLE="1", VAGRANT_NO_COLOR="1")
    env.update(settings)
    return env


def validate(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require("vagrant"), "validate", "--ignore-provider"], cwd=LAB,
                          env=lab_env(tmp_path, **settings), capture_output=True, text=True, timeout=120,
                          check=False)


def nodes(tmp_path: Path, **settings: str) -> dict:
    """The lab's settings and nodes as vagrant/nodes.rb computes them for the Vagrantfile."""
    result = subprocess.run([require("ruby"), str(LAB / "nodes.rb")], env=lab_env(tmp_path, **settings),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def expected_machines(agents: int) -> list[str]:
    return ["master1", "master2", "master3", *(f"agent{i}" for i in range(1, agents + 1)), "edge"]


@pytest.mark.slow
@pytest.mark.parametrize(("settings", "agents"), [
    ({}, 2),
    ({"AGENTS": "1"}, 1),
    ({"AGENTS": "5"}, 5),
    ({"MESOS": "local"}, 2),
    ({"MESOS_SOURCE": "cache", "BOX": "debian/bookworm64"}, 2),
], ids=["default", "AGENTS=1", "AGENTS=5", "MESOS=local", "MESOS_SOURCE=cache"])
def test_vagrantfile_validates_with_the_expected_machines(tmp_path: Path, settings: dict, agents: int) -> None:
    result = validate(tmp_path, **settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vagrantfile validated successfully." in result.stdout
    machines = re.findall(r"^==> (\S+): Ignoring provider config", result.stdout, re.MULTILINE)
    assert machines == expected_machines(agents)


@pytest.mark.slow
@pytest.mark.parametrize(("settings", "message"), [
    ({"AGENTS": "abc"}, 'AGENTS="abc" is not allowed: use a whole number from 1 to 9'),
    ({"AGENTS": "0"}, 'AGENTS="0" is not allowed: use a whole number from 1 to 9'),
    ({"AGENTS": "10"}, 'AGENTS="10" is not allowed: use a whole number from 1 to 9'),
    ({"MESOS": "mesosphere"}, 'MESOS="mesosphere" is not allowed: use one of real, local'),
], ids=["AGENTS=abc", "AGENTS=0", "AGENTS=10", "MESOS=mesosphere"])
def test_bad_settings_are_refused_with_a_clear_message(tmp_path: Path, settings: dict, message: str) -> None:
    result = validate(tmp_path, **settings)
    assert result.returncode != 0
    assert message in result.stderr
    assert "validated successfully" not in result.stdout


def shell_scripts() -> list[Path]:
    return sorted([*LAB.rglob("*.sh"), *(ROOT / "scripts").glob("*.sh")])


def test_shellcheck_is_clean_on_every_script() -> None:
    shellcheck = require("shellcheck")
    scripts = shell_scripts()
    assert {p.name for p in PROVISION.glob("*.sh")} >= {"run.sh", "lib.sh", "common.sh", "mesos.sh",
                                                         "balalaika.sh", "master.sh", "agent.sh", "edge.sh"}
    assert LAB / "smoke.sh" in scripts and LAB / "fetch-debs.sh" in scripts
    result = subprocess.run([shellcheck, "--external-sources", *map(str, scripts)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_lab_script_is_strict_bash() -> None:
    for script in LAB.rglob("*.sh"):
        text = script.read_text()
        assert text.startswith("#!/usr/bin/env bash\n"), script
        if script.name != "lib.sh":  # sourced by the others
            assert "\nset -euo pipefail\n" in text, script
            assert os.access(script, os.X_OK), f"{script} is not executable"


def test_nodes_have_unique_names_and_addresses_in_the_host_only_range(tmp_path: Path) -> None:
    lab = nodes(tmp_path, AGENTS="9")
    allowed = ipaddress.ip_network("192.168.56.0/21")
    names = [n["name"] for n in lab["nodes"]]
    addresses = [n["ip"] for n in lab["nodes"]]
    assert names == expected_machines(9)
    assert len(set(addresses)) == len(addresses)
    assert all(ipaddress.ip_address(a) in allowed for a in addresses)
    assert [n["zk_id"] for n in lab["nodes"] if n["role"] == "master"] == [1, 2, 3]


def test_readme_table_and_smoke_defaults_match_the_nodes(tmp_path: Path) -> None:
    lab = nodes(tmp_path)
    readme = (LAB / "README.md").read_text()
    table = dict(re.findall(r"^\| (master\d|agent\d|edge) \| (192\.168\.\d+\.\d+) \|", readme, re.MULTILINE))
    assert table == {n["name"]: n["ip"] for n in lab["nodes"]}
    smoke = (LAB / "smoke.sh").read_text()
    masters = [n["ip"] for n in lab["nodes"] if n["role"] == "master"]
    edge = next(n["ip"] for n in lab["nodes"] if n["role"] == "edge")
    assert f'MASTERS=${{MASTERS:-{" ".join(masters)}}}' in smoke
    assert f"EDGE=${{EDGE:-{edge}}}" in smoke
    assert f"AGENTS=${{AGENTS:-{lab['agents']}}}" in smoke
    assert f"zk=zk://{','.join(f'{ip}:2181' for ip in masters)}/mesos" in readme


def test_the_pinned_mesos_version_is_the_same_everywhere(tmp_path: Path) -> None:
    version = nodes(tmp_path)["mesos_version"]
    assert re.fullmatch(r"1\.11\.0-0\.\d+\.\d+", version)
    assert f"MESOS_VERSION=${{MESOS_VERSION:-{version}}}" in (PROVISION / "mesos.sh").read_text()
    assert f"MESOS_VERSION=${{MESOS_VERSION:-{version}}}" in (LAB / "fetch-debs.sh").read_text()
    assert f"`{version}`" in (LAB / "README.md").read_text()
    assert "apt-mark hold aventer-mesos" in (PROVISION / "mesos.sh").read_text()


def test_provisioning_gets_every_variable_it_requires(tmp_path: Path) -> None:
    """Each `${VAR:?...}` in the provisioning is set by the Vagrantfile for every node, in both modes."""
    required = set()
    for script in PROVISION.glob("*.sh"):
        required |= set(re.findall(r"\$\{(\w+):\?", script.read_text()))
    assert {"NODE_NAME", "NODE_IP", "NODE_ROLE", "MASTER_IPS", "EDGE_IP", "LAB_HOSTS", "ZK_ID"} <= required
    for mode in ("real", "local"):
        lab = nodes(tmp_path, MESOS=mode)
        for node in lab["nodes"]:
            env = {**lab["env"], **node["env"]}
            missing = {v for v in required if not env.get(v)} - ({"ZK_ID"} if node["role"] != "master" else set())
            assert not missing, f"{node['name']}: {missing}"
            assert env["MESOS"] == mode
            assert (PROVISION / f"{env['NODE_ROLE']}.sh").is_file()
    vagrantfile = (LAB / "Vagrantfile").read_text()
    run = re.search(r'inline: "exec bash /vagrant/(\S+)"', vagrantfile)
    assert run and (ROOT / run.group(1)).is_file()  # the repository is synced to /vagrant


LIB_ENV = {"NODE_NAME": "agent1", "NODE_IP": "192.168.56.21", "NODE_ROLE": "agent",
           "MASTER_IPS": "192.168.56.11,192.168.56.12,192.168.56.13", "EDGE_IP": "192.168.56.31"}


def run_lib(tmp_path: Path, script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", f'source "{PROVISION}/lib.sh"\n{script}'],
                          env={**os.environ, **LIB_ENV, **(env or {})}, cwd=tmp_path, capture_output=True,
                          text=True, timeout=30, check=False)


def test_put_writes_only_what_differs_and_says_so(tmp_path: Path) -> None:
    """The basis of idempotent provisioning: an unchanged file is not touched, and CHANGED stays 0."""
    target = tmp_path / "etc" / "mesos-agent" / "containerizers"
    script = f"""
flag {tmp_path}/etc/mesos-agent containerizers docker,mesos; echo "first CHANGED=$CHANGED"
CHANGED=0; flag {tmp_path}/etc/mesos-agent containerizers docker,mesos; echo "second CHANGED=$CHANGED"
CHANGED=0; printf 'mesos\\n' | put {target}; echo "third CHANGED=$CHANGED"
echo "zk=$ZK_MESOS"
"""
    result = run_lib(tmp_path, script)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines.count(f"lab[agent1]: wrote {target}") == 2
    assert "first CHANGED=1" in lines and "second CHANGED=0" in lines and "third CHANGED=1" in lines
    assert target.read_text() == "mesos\n"
    assert "zk=zk://192.168.56.11:2181,192.168.56.12:2181,192.168.56.13:2181/mesos" in lines


SYSTEMCTL_STUB = """#!/bin/sh
# systemctl for tests: remembers enabled/active units as files, logs what changes something
state=$(dirname "$0")/state; mkdir -p "$state"
[ "$1" = -q ] && shift
case "$1" in
    is-enabled) [ -e "$state/enabled-$3" ] || [ -e "$state/enabled-$2" ] ;;
    is-active) [ -e "$state/active-$3" ] || [ -e "$state/active-$2" ] ;;
    enable) touch "$state/enabled-$3"; echo "systemctl $*" >> "$state/log" ;;
    start) touch "$state/active-$2"; echo "systemctl $*" >> "$state/log" ;;
    *) echo "systemctl $*" >> "$state/log" ;;
esac
"""


def test_a_second_run_rewrites_no_unit_and_restarts_nothing(tmp_path: Path) -> None:
    """service + settle, as the role scripts use them, against a stub systemctl: the first run writes the
    unit, reloads, enables and starts it; an identical second run does nothing; a changed command restarts."""
    stub = tmp_path / "bin" / "systemctl"
    stub.parent.mkdir()
    stub.write_text(SYSTEMCTL_STUB)
    stub.chmod(0o755)
    env = {"PATH": f"{stub.parent}:{os.environ['PATH']}", "LAB_UNIT_DIR": str(tmp_path / "units"),
           "LAB_RESTART_MARK": str(tmp_path / "restart-services")}

    def provision(command: str) -> list[str]:
        log = tmp_path / "bin" / "state" / "log"
        log.unlink(missing_ok=True)
        result = run_lib(tmp_path, f'CHANGED=0; service demo "a demo" network-online.target "{command}" '
                                   f'KillMode=mixed; settle demo --code', env)
        assert result.returncode == 0, result.stderr
        return log.read_text().splitlines() if log.exists() else []

    assert provision("/bin/demo --port 1") == ["systemctl daemon-reload", "systemctl enable -q demo",
                                               "systemctl start demo"]
    unit = (tmp_path / "units" / "demo.service").read_text()
    assert "ExecStart=/bin/demo --port 1\nRestart=always\nRestartSec=3\nKillMode=mixed\n" in unit
    assert "After=network-online.target\n" in unit and "WantedBy=multi-user.target\n" in unit
    assert provision("/bin/demo --port 1") == []
    assert provision("/bin/demo --port 2") == ["systemctl daemon-reload", "systemctl restart demo"]
    (tmp_path / "restart-services").touch()  # balalaika.sh saw new code
    assert provision("/bin/demo --port 2") == ["systemctl restart demo"]


def test_lib_refuses_to_run_without_the_vagrantfile_settings(tmp_path: Path) -> None:
    result = subprocess.run(["bash", "-c", f'source "{PROVISION}/lib.sh"'],
                            env={k: v for k, v in os.environ.items() if k not in LIB_ENV}, capture_output=True,
                            text=True, timeout=30, check=False)
    assert result.returncode != 0
    assert "NODE_NAME: set by the Vagrantfile" in result.stderr


def test_install_script_brings_vagrant_and_shellcheck() -> None:
    install = (ROOT / "scripts" / "install.sh").read_text()
    packages = re.search(r"apt_packages=\(([^)]*)\)", install)
    assert packages and {"vagrant", "shellcheck"} <= set(packages.group(1).split())
    assert "--no-install-recommends" in install  # vagrant without libvirt and qemu
