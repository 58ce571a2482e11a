#!/usr/bin/env bash
# Every node: Balalaika from this repository, with the steps of scripts/install.sh (Debian 12's Python 3.11,
# a venv, the http-parser wheel of scripts/build-http-parser.sh, an editable install), but into a copy at
# /opt/balalaika/src (so the synced /vagrant stays a pristine copy of the host's tree) and without the
# test suite's packages (chromium, zookeeper, haproxy, docker: each role installs what it runs).
set -euo pipefail
# shellcheck source=vagrant/provision/lib.sh
source "$(dirname "$0")/lib.sh"
SRC=$BALALAIKA_HOME/src

apt_install python3 python3-venv python3-pip rsync
python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
    die "Balalaika needs Python 3.11 (setup.cfg); this box has $(python3 --version): use a Debian 12 box"

# The copy: code changes mark the services for a restart (the role script restarts them, then clears it).
install -d -m 0755 "$SRC"
# (--omit-dir-times and the filter: a directory's times alone are no change of code)
itemized=$(rsync -a --omit-dir-times --delete --itemize-changes \
    --exclude /.git/ --exclude /.venv/ --exclude /.cache/ --exclude /vagrant/ --exclude __pycache__/ \
    --exclude '*.egg-info/' --exclude /.pytest_cache/ --exclude /.ruff_cache/ --exclude /.hypothesis/ \
    /vagrant/ "$SRC/")
changes=$(grep -v '^\.d' <<< "$itemized" || true)
if [ -n "$changes" ]; then
    log "Balalaika's source changed in $SRC ($(wc -l <<< "$changes") entries)"
    touch "$RESTART_MARK"
fi

stamp=$SRC/.venv/.balalaika-installed
if [ ! -f "$stamp" ] || [ "$SRC/setup.cfg" -nt "$stamp" ]; then
    log "installing Balalaika into $SRC/.venv"
    [ -x "$SRC/.venv/bin/python" ] || python3 -m venv "$SRC/.venv"
    "$SRC/.venv/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
    bash "$SRC/scripts/build-http-parser.sh" "$SRC/.venv/bin/python" "$BALALAIKA_HOME/wheels"
    "$SRC/.venv/bin/python" -m pip install --quiet --find-links "$BALALAIKA_HOME/wheels" -e "$SRC"
    "$SRC/.venv/bin/python" -c 'from pymesos import MesosSchedulerDriver, MesosExecutorDriver'
    touch "$stamp" "$RESTART_MARK"
fi

# On every PATH, the agent's included (it starts balalaika-executor for command apps by that name).
for program in balalaika balalaika-scheduler balalaika-api balalaika-lb balalaika-executor mesos-local mesos-local-agent; do
    if [ -e "$BALALAIKA_BIN/$program" ] && [ "$(readlink "/usr/local/bin/$program" || true)" != "$BALALAIKA_BIN/$program" ]; then
        ln -sfn "$BALALAIKA_BIN/$program" "/usr/local/bin/$program"
        log "linked /usr/local/bin/$program"
    fi
done
