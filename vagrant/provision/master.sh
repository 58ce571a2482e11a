#!/usr/bin/env bash
# master1..3: a ZooKeeper ensemble member, the Mesos master (MESOS=real; with MESOS=local, mesos-local on
# master1 only), and Balalaika's scheduler (leader or hot standby) and API.
set -euo pipefail
# shellcheck source=vagrant/provision/lib.sh
source "$(dirname "$0")/lib.sh"
: "${ZK_ID:?set by the Vagrantfile}"

# --- ZooKeeper (Debian's zookeeperd 3.8): one member of three, so two make a quorum
apt_install zookeeperd
CHANGED=0
{
    echo "# written by vagrant/provision/master.sh"
    echo "tickTime=1000"
    echo "initLimit=20"
    echo "syncLimit=5"
    echo "dataDir=/var/lib/zookeeper"
    echo "clientPort=2181"
    echo "maxClientCnxns=200"
    echo "4lw.commands.whitelist=srvr,ruok,mntr"
    for i in "${!MASTERS[@]}"; do
        echo "server.$((i + 1))=${MASTERS[$i]}:2888:3888"
    done
} | put /etc/zookeeper/conf/zoo.cfg
echo "$ZK_ID" | put /etc/zookeeper/conf/myid
settle zookeeper

# --- Mesos
if [ "$MESOS" = real ]; then
    off mesos-local
    off mesos-agent
    CHANGED=0
    echo "$ZK_MESOS" | put /etc/mesos/zk
    m=/etc/mesos-master
    flag $m zk "$ZK_MESOS"
    flag $m quorum 2
    flag $m work_dir /var/lib/mesos/master
    flag $m ip "$NODE_IP"
    flag $m hostname "$NODE_IP"
    flag $m hostname_lookup false
    flag $m cluster lab
    install -d -m 0755 /var/lib/mesos/master
    settle mesos-master
else
    off mesos-master
    if [ "$NODE_NAME" = master1 ]; then
        CHANGED=0
        # a master alone (no agents of its own) that the agents' mesos-local-agent join over the network
        service mesos-local "mesos-local: the lab's Mesos master with MESOS=local" \
            "network-online.target zookeeper.service" \
            "$BALALAIKA_BIN/mesos-local --agents 0 --ip $NODE_IP --port 5050 --zk $ZK_MESOS --work-dir /var/lib/mesos-local"
        settle mesos-local --code
    else
        off mesos-local
    fi
fi

# --- Balalaika: every master runs a scheduler (one leads, the others stand by) and an API
CHANGED=0
service balalaika-scheduler "Balalaika scheduler on $NODE_NAME (leader or hot standby)" \
    "network-online.target zookeeper.service" \
    "$BALALAIKA_BIN/balalaika-scheduler --master $ZK_MESOS --zk $ZK_HOSTS --hostname $NODE_IP --port 8080 --executor-command /usr/local/bin/balalaika-executor --metrics-port 9095 --metrics-host $NODE_IP" \
    KillMode=mixed TimeoutStopSec=20
settle balalaika-scheduler --code

CHANGED=0
service balalaika-api "Balalaika's Marathon v2 API on $NODE_NAME" "network-online.target zookeeper.service" \
    "$BALALAIKA_BIN/balalaika-api --zk $ZK_HOSTS --bind $NODE_IP:8080 --workers 2 --edge-admin http://$EDGE_IP:9090"
settle balalaika-api --code
rm -f "$RESTART_MARK"
