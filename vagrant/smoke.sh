#!/usr/bin/env bash
# The lab's smoke test, from the host or inside a master (`vagrant ssh master1 -c /vagrant/vagrant/smoke.sh`):
#   1. a leading Mesos master with AGENTS active agents;
#   2. a leading Balalaika scheduler that every API agrees on;
#   3. an app deployed through the API (examples/web.json: Docker; APP=command: examples/command.json, a
#      command under balalaika-executor; APP=path/to/app.json: yours), healthy;
#   4. the app answering through the edge on its virtual host.
# Needs curl and python3. Settings (the lab's defaults, vagrant/nodes.rb): AGENTS=2 MESOS=real|local
# MASTERS="192.168.56.11 192.168.56.12 192.168.56.13" EDGE=192.168.56.31 TIMEOUT=300 (seconds per step).
# The app stays deployed (README.md goes on with it); remove it with: balalaika --api URL app delete ID.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
AGENTS=${AGENTS:-2}
MESOS=${MESOS:-real}
MASTERS=${MASTERS:-192.168.56.11 192.168.56.12 192.168.56.13}
EDGE=${EDGE:-192.168.56.31}
TIMEOUT=${TIMEOUT:-300}
APP=${APP:-web}
case "$APP" in
    web) app_file=$repo/examples/web.json ;;
    command) app_file=$repo/examples/command.json ;;
    *) app_file=$APP ;;
esac
[ -f "$app_file" ] || { echo "smoke: no app definition at $app_file" >&2; exit 2; }
read -r -a masters <<< "$MASTERS"
if [ "$MESOS" = local ]; then
    mesos_masters=("${masters[0]}")   # mesos-local runs on master1 only
else
    mesos_masters=("${masters[@]}")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { echo "smoke: $*"; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
# json FILE EXPRESSION: evaluates a Python expression on the JSON document `d` in FILE; prints the result
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# get URL FILE: the HTTP status (000 when nothing answers); the body goes to FILE
get() { curl -s --max-time 5 -o "$2" -w '%{http_code}' "$1" || true; }
# until_ok SECONDS DESCRIPTION COMMAND...: retries COMMAND every 2 s until it succeeds or SECONDS pass
until_ok() {
    local limit=$1 what=$2
    local deadline=$((SECONDS + limit))
    shift 2
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$what (waited $limit s)"
        sleep 2
    done
}

# --- 1. Mesos
mesos_leader=""
mesos_ready() {
    local ip
    for ip in "${mesos_masters[@]}"; do
        [ "$(get "http://$ip:5050/master/state" "$work/state")" = 200 ] || continue
        [ "$(json "$work/state" 'd.get("leader") == d.get("pid")')" = True ] || continue
        mesos_leader=$ip
        local active
        active=$(json "$work/state" 'd.get("activated_slaves", 0)')
        [ "${active%.*}" -ge "$AGENTS" ] || { say "Mesos leader $ip has $active of $AGENTS agents"; return 1; }
        return 0
    done
    return 1
}
until_ok "$TIMEOUT" "no leading Mesos master with $AGENTS agents among ${mesos_masters[*]}" mesos_ready
say "Mesos: leader $mesos_leader:5050, $(json "$work/state" 'd["version"]'), agents: $(json "$work/state" '" ".join(sorted(s["hostname"] for s in d["slaves"]))')"

# --- 2. Balalaika's leader, as every API sees it
api=""
leader_agreed() {
    local ip seen=() status
    for ip in "${masters[@]}"; do
        status=$(get "http://$ip:8080/v2/leader" "$work/leader")
        [ "$status" = 200 ] || { say "API on $ip: /v2/leader answered $status"; return 1; }
        seen+=("$(json "$work/leader" 'd["leader"]')")
    done
    [ "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)" = 1 ] || { say "the APIs disagree: ${seen[*]}"; return 1; }
    api=http://${masters[0]}:8080
    say "Balalaika: leader ${seen[0]} (all ${#masters[@]} APIs agree)"
}
until_ok "$TIMEOUT" "no Balalaika leader that all APIs agree on" leader_agreed

# --- 3. the app
app_id=$(json "$app_file" 'd["id"]')
vhost=$(json "$app_file" 'd.get("labels", {}).get("HAPROXY_0_VHOST", "")')
instances=$(json "$app_file" 'd.get("instances", 1)')
status=$(curl -s --max-time 30 -o "$work/post" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
         --data-binary "@$app_file" "$api/v2/apps" || true)
case "$status" in
    201) say "deployed $app_id from $app_file" ;;
    409) say "$app_id exists already: checking it as it is" ;;
    *) fail "POST $api/v2/apps answered $status: $(cat "$work/post")" ;;
esac
app_healthy() {
    [ "$(get "$api/v2/apps$app_id" "$work/app")" = 200 ] || return 1
    local state
    state=$(json "$work/app" '" ".join(str(n) for n in (d["app"].get("tasksHealthy", 0), d["app"].get("tasksRunning", 0), len(d["app"].get("deployments", []))))')
    read -r healthy running deployments <<< "$state"
    say "$app_id: $running running, $healthy healthy of $instances, $deployments deployment(s) in progress"
    [ "$healthy" -ge "$instances" ] && [ "$deployments" = 0 ]
}
until_ok "$TIMEOUT" "$app_id did not become healthy" app_healthy

# --- 4. through the edge
[ -n "$vhost" ] || { say "$app_id has no HAPROXY_0_VHOST label: not checking the edge"; exit 0; }
edge_answers() {
    curl -fs --max-time 5 -H "Host: $vhost" "http://$EDGE/" > "$work/answer" && grep -q . "$work/answer"
}
until_ok 60 "the edge $EDGE does not route $vhost" edge_answers
for _ in $(seq $((instances * 3))); do
    curl -fs --max-time 5 -H "Host: $vhost" "http://$EDGE/" || true
done | sort -u > "$work/answers"
say "through the edge: curl -H 'Host: $vhost' http://$EDGE/ answers from $(wc -l < "$work/answers") instance(s):"
sed 's/^/    /' "$work/answers"
say "OK"
