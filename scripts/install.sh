#!/usr/bin/env bash
# Installs what Balalaika needs on Debian 12 (as root): the Debian packages for its services and tests,
# and a virtual environment in .venv with Balalaika in editable mode. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the dashboard's browser tests (tests/ui/), driven by Playwright without its browser downloads;
# vagrant (with ruby) and shellcheck: the lab's checks (tests/vagrant/); no libvirt, thanks to --no-install-recommends
apt_packages=(zookeeper haproxy docker.io busybox-static socat curl iproute2 iptables procps python3-venv chromium
              vagrant shellcheck)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install: apt packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

python=${PYTHON:-python3}
stamp=.venv/.balalaika-installed
if [ -f "$stamp" ] && [ "$stamp" -nt setup.cfg ] && [ "$stamp" -nt scripts/install.sh ]; then
    exit 0
fi
echo "install: virtual environment in .venv"
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
bash scripts/build-http-parser.sh .venv/bin/python .cache/wheels
.venv/bin/python -m pip install --quiet --find-links .cache/wheels -e '.[test]'
.venv/bin/python -c 'from pymesos import MesosSchedulerDriver, MesosExecutorDriver'
touch "$stamp"
