#!/usr/bin/env bash
# Every node: /etc/hosts with the lab's names (and without the 127.0.x.1 line Vagrant adds for the
# hostname, which would make services advertise a loopback address), the base packages, time sync.
set -euo pipefail
# shellcheck source=vagrant/provision/lib.sh
source "$(dirname "$0")/lib.sh"
: "${LAB_HOSTS:?set by the Vagrantfile}"

{
    echo "127.0.0.1 localhost"
    echo "::1 localhost ip6-localhost ip6-loopback"
    echo "ff02::1 ip6-allnodes"
    echo "ff02::2 ip6-allrouters"
    echo "# the lab's nodes (vagrant/nodes.rb); written by vagrant/provision/common.sh"
    IFS=, read -r -a entries <<< "$LAB_HOSTS"
    printf '%s\n' "${entries[@]}"
} | put /etc/hosts

apt_install ca-certificates curl rsync chrony python3 python3-venv procps iproute2 netcat-openbsd
systemctl is-active -q chrony || systemctl enable -q --now chrony

# Debian 12 keeps cgroup v2 (the unified hierarchy) by default, which AVENTER's Mesos >= 0.6 requires.
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ]; then
    log "WARNING: /sys/fs/cgroup is not cgroup v2; AVENTER's Mesos agent needs v2 (see vagrant/README.md)"
fi
