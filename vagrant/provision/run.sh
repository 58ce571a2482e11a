#!/usr/bin/env bash
# The one provisioning entry point (the Vagrantfile runs it as root with the node's environment):
# the common base, Mesos where this node needs it, Balalaika, then the node's role.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${NODE_ROLE:?set by the Vagrantfile}"
case "$NODE_ROLE" in
    master|agent|edge) ;;
    *) echo "lab: unknown NODE_ROLE=$NODE_ROLE" >&2; exit 1 ;;
esac
case "${MESOS:-real}" in
    real|local) ;;
    *) echo "lab: MESOS=${MESOS} is neither real nor local" >&2; exit 1 ;;
esac

bash "$here/common.sh"
if [ "${MESOS:-real}" = real ] && [ "$NODE_ROLE" != edge ]; then
    bash "$here/mesos.sh"
fi
bash "$here/balalaika.sh"
bash "$here/$NODE_ROLE.sh"
echo "lab[$NODE_NAME]: provisioned as $NODE_ROLE (MESOS=${MESOS:-real})"
