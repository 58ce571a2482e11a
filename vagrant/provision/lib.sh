#!/usr/bin/env bash
# shellcheck disable=SC2034  # the variables below are for the scripts that source this file
# Helpers for the lab's provisioning scripts (sourced, not run). Every helper checks before it changes
# anything, so that a second `vagrant provision` changes nothing and says so.

# The cluster, from the Vagrantfile's environment (vagrant/nodes.rb).
: "${NODE_NAME:?set by the Vagrantfile}" "${NODE_IP:?set by the Vagrantfile}" "${NODE_ROLE:?set by the Vagrantfile}"
: "${MASTER_IPS:?set by the Vagrantfile}" "${EDGE_IP:?set by the Vagrantfile}"
MESOS=${MESOS:-real}
IFS=, read -r -a MASTERS <<< "$MASTER_IPS"
ZK_HOSTS=$(printf '%s:2181,' "${MASTERS[@]}")
ZK_HOSTS=${ZK_HOSTS%,}
ZK_MESOS="zk://$ZK_HOSTS/mesos"
BALALAIKA_HOME=/opt/balalaika
BALALAIKA_BIN=$BALALAIKA_HOME/src/.venv/bin
RESTART_MARK=${LAB_RESTART_MARK:-$BALALAIKA_HOME/restart-services}
UNIT_DIR=${LAB_UNIT_DIR:-/etc/systemd/system}   # the LAB_* variables are for tests/vagrant
TASK_PORTS="31000-32000"
export DEBIAN_FRONTEND=noninteractive

log() { echo "lab[$NODE_NAME]: $*"; }
die() { echo "lab[$NODE_NAME]: ERROR: $*" >&2; exit 1; }
# set -e stops a script at the first failing command: say which one
trap 'echo "lab[$NODE_NAME]: ERROR: ${0##*/} line $LINENO failed: $BASH_COMMAND" >&2' ERR

# `... | put FILE` runs put in this shell (not a subshell), so that what it sets in CHANGED is seen
shopt -s lastpipe

# CHANGED turns 1 when put (or a caller) changes a file; a script resets it before each group of files
# that one service reads, and restarts that service only then.
CHANGED=0

# put FILE [MODE]: writes stdin to FILE unless FILE already holds exactly that.
put() {
    local file=$1 mode=${2:-0644} tmp
    tmp=$(mktemp)
    cat > "$tmp"
    if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
        rm -f "$tmp"
        return 0
    fi
    mkdir -p "$(dirname "$file")"
    install -m "$mode" "$tmp" "$file"
    rm -f "$tmp"
    CHANGED=1
    log "wrote $file"
}

# flag DIR NAME VALUE: one Mesos flag file, as mesos-init-wrapper reads them (--NAME=VALUE).
flag() {
    put "$1/$2" <<< "$3"
}

APT_UPDATED=0
# apt_install PACKAGE...: installs the packages that are not installed yet, and nothing else.
apt_install() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q ' ok installed$' || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$APT_UPDATED" = 0 ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt: installing ${missing[*]}"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
}

unit_exists() { systemctl cat "$1" > /dev/null 2>&1; }

# settle UNIT [--code]: enabled and running; restarted when CHANGED=1, or with --code (a unit running
# Balalaika's code) when balalaika.sh changed that code.
settle() {
    local unit=$1 code=0
    [ "${2:-}" = --code ] && [ -e "$RESTART_MARK" ] && code=1
    systemctl is-enabled -q "$unit" 2>/dev/null || { log "enabling $unit"; systemctl enable -q "$unit"; }
    if ! systemctl is-active -q "$unit"; then
        log "starting $unit"
        systemctl start "$unit"
    elif [ "$CHANGED" = 1 ] || [ "$code" = 1 ]; then
        log "restarting $unit (its configuration or code changed)"
        systemctl restart "$unit"
    fi
}

# off UNIT: stopped and disabled, if it exists at all.
off() {
    local unit=$1
    unit_exists "$unit" || return 0
    if systemctl is-enabled -q "$unit" 2>/dev/null || systemctl is-active -q "$unit"; then
        log "stopping and disabling $unit"
        systemctl disable -q --now "$unit"
    fi
}

# unit NAME: writes the unit file NAME from stdin; reloads systemd if it changed.
unit() {
    local before=$CHANGED
    CHANGED=0
    put "$UNIT_DIR/$1"
    if [ "$CHANGED" = 1 ]; then
        systemctl daemon-reload
    fi
    [ "$before" = 1 ] && CHANGED=1
    return 0
}

# service NAME DESCRIPTION AFTER COMMAND [SERVICE_LINE...]: a long-running unit NAME.service, always
# restarted, wanting and ordered after the units in AFTER (space-separated).
service() {
    local name=$1 description=$2 after=$3 command=$4
    shift 4
    {
        printf '[Unit]\nDescription=%s\nWants=%s\nAfter=%s\n\n' "$description" "$after" "$after"
        printf '[Service]\nExecStart=%s\nRestart=always\nRestartSec=3\n' "$command"
        [ $# -eq 0 ] || printf '%s\n' "$@"
        printf '\n[Install]\nWantedBy=multi-user.target\n'
    } | unit "$name.service"
}
