#!/usr/bin/env bash
# edge: balalaika-lb and the HAProxy it drives. It follows the API of every master (failing over between
# them) and routes the apps labelled HAPROXY_GROUP=external once their health checks pass: virtual hosts on
# :80, each app's service port, HAProxy's stats on :9090.
set -euo pipefail
# shellcheck source=vagrant/provision/lib.sh
source "$(dirname "$0")/lib.sh"

apt_install haproxy
# balalaika-lb starts its own HAProxy (master-worker, with a master socket); Debian's would hold the ports
off haproxy
install -d -m 0755 /var/lib/balalaika-lb
marathons=""
for ip in "${MASTERS[@]}"; do
    marathons+=" --marathon http://$ip:8080"
done
CHANGED=0
# KillMode=process: HAProxy keeps serving while balalaika-lb restarts and then drives it again (master socket)
service balalaika-lb "balalaika-lb: HAProxy routing to the lab's apps" network-online.target \
    "$BALALAIKA_BIN/balalaika-lb$marathons --group external --health-check --haproxy-config /var/lib/balalaika-lb/haproxy.cfg --http-port 80 --stats-port 9090 --reconnect-max 5" \
    KillMode=process
settle balalaika-lb --code
rm -f "$RESTART_MARK"
