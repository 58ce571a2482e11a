#!/usr/bin/env bash
# agent1..N: Docker (Debian 12's docker.io) with the offline balalaika/busybox image the examples run, and
# the Mesos agent with the Docker and Mesos containerizers (MESOS=real) or mesos-local-agent (MESOS=local).
# Command apps run under balalaika-executor, linked into /usr/local/bin by balalaika.sh.
set -euo pipefail
# shellcheck source=vagrant/provision/lib.sh
source "$(dirname "$0")/lib.sh"
NODE_RACK=${NODE_RACK:-r1}

# busybox-static: the command example's httpd, and the root filesystem of the balalaika/busybox image
apt_install docker.io busybox-static curl
CHANGED=0
settle docker
if ! docker image inspect balalaika/busybox:latest > /dev/null 2>&1; then
    log "importing the balalaika/busybox:latest image (busybox-static, offline)"
    "$BALALAIKA_BIN/python" -c 'from launchers.docker import ensure_busybox_image; ensure_busybox_image("unix:///var/run/docker.sock")'
fi

if [ "$MESOS" = real ]; then
    off mesos-local-agent
    off mesos-master
    CHANGED=0
    echo "$ZK_MESOS" | put /etc/mesos/zk
    a=/etc/mesos-agent
    flag $a master "$ZK_MESOS"
    flag $a work_dir /var/lib/mesos/agent
    flag $a ip "$NODE_IP"
    flag $a hostname "$NODE_IP"
    flag $a hostname_lookup false
    flag $a containerizers docker,mesos
    flag $a executor_registration_timeout 5mins
    flag $a docker_socket /var/run/docker.sock
    flag $a docker_remove_delay 1mins
    flag $a resources "ports:[$TASK_PORTS]"
    flag $a attributes "rack:$NODE_RACK;host:$NODE_NAME"
    # AVENTER on cgroup v2, as its mesos-mini image runs it
    flag $a launcher linux
    flag $a isolation filesystem/linux,docker/runtime
    flag $a systemd_enable_support false
    install -d -m 0755 /var/lib/mesos/agent
    latest=/var/lib/mesos/agent/meta/slaves/latest   # a symbolic link to the agent's checkpointed state
    if [ "$CHANGED" = 1 ] && { [ -e "$latest" ] || [ -L "$latest" ]; }; then
        # an agent refuses to recover under other resources or attributes: it registers anew instead
        log "agent flags changed: forgetting the agent's checkpointed identity (its tasks are replaced)"
        systemctl stop mesos-agent
        rm -f "$latest"
    fi
    settle mesos-agent
else
    off mesos-agent
    CHANGED=0
    service mesos-local-agent "mesos-local-agent: an agent of mesos-local on master1 (MESOS=local)" \
        "network-online.target docker.service" \
        "$BALALAIKA_BIN/mesos-local-agent --master ${MASTERS[0]}:5050 --ip $NODE_IP --port 5051 --resources \"cpus:2;mem:2048;disk:10000;ports:[$TASK_PORTS]\" --attributes \"rack:$NODE_RACK;host:$NODE_NAME\" --docker-host unix:///var/run/docker.sock --work-dir /var/lib/mesos-local-agent"
    settle mesos-local-agent --code
fi
rm -f "$RESTART_MARK"
