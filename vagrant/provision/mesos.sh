#!/usr/bin/env bash
# Masters and agents with MESOS=real: AVENTER's Mesos 1.11 package (aventer-mesos), at the pinned version
# MESOS_VERSION, held so that apt never moves it. MESOS_SOURCE=repo installs it from AVENTER's apt
# repository (its key is checked); MESOS_SOURCE=cache, or a repository that fails (an expired key, say),
# installs the .deb that vagrant/fetch-debs.sh left in vagrant/cache/.
set -euo pipefail
# shellcheck source=vagrant/provision/lib.sh
source "$(dirname "$0")/lib.sh"
MESOS_VERSION=${MESOS_VERSION:-1.11.0-0.7.1}
MESOS_SOURCE=${MESOS_SOURCE:-repo}
CACHE=/vagrant/vagrant/cache
KEY_URL=https://www.aventer.biz/assets/support_aventer.asc
KEY=/etc/apt/keyrings/aventer.asc
LIST=/etc/apt/sources.list.d/aventer.list
# shellcheck source=/dev/null
. /etc/os-release
CODENAME=${VERSION_CODENAME:-}
[ -n "$CODENAME" ] || die "/etc/os-release names no VERSION_CODENAME"
DISTRO_TAG=${ID}${VERSION_ID}   # e.g. debian12, as in aventer-mesos_1.11.0-0.7.1.debian12_amd64.deb

# the installed version, or nothing (dpkg-query fails for a package it never saw; a held one is "hold ok installed")
installed_version() {
    { dpkg-query -W -f='${Status} ${Version}' aventer-mesos 2>/dev/null || true; } | sed -n 's/^[a-z]* ok installed //p'
}

hold() {
    apt-mark showhold | grep -qx aventer-mesos || { log "holding aventer-mesos"; apt-mark hold aventer-mesos > /dev/null; }
}

# AVENTER's repository carries its own zookeeper and other packages: only aventer-mesos may come from it.
pin_repository() {
    put /etc/apt/preferences.d/aventer <<'PIN'
# written by vagrant/provision/mesos.sh: nothing but aventer-mesos from AVENTER's repository
Package: *
Pin: origin rpm.aventer.biz
Pin-Priority: 100

Package: aventer-mesos
Pin: origin rpm.aventer.biz
Pin-Priority: 500
PIN
}

drop_repository() {
    rm -f "$LIST"
    apt-get update -qq || log "apt-get update still fails without AVENTER's repository"
}

from_repo() {
    install -d -m 0755 /etc/apt/keyrings
    if [ ! -s "$KEY" ]; then
        log "fetching AVENTER's signing key"
        if ! curl -fsSL --retry 3 "$KEY_URL" -o "$KEY.tmp"; then
            log "could not fetch $KEY_URL"
            rm -f "$KEY.tmp"
            return 1
        fi
        mv "$KEY.tmp" "$KEY"
    fi
    pin_repository
    echo "deb [signed-by=$KEY] http://rpm.aventer.biz/Debian/ $CODENAME main" | put "$LIST"
    # apt-get update fails (exit 100) on a repository whose key expired (EXPKEYSIG): leave no broken list behind
    if ! apt-get update -qq; then
        log "AVENTER's repository failed apt-get update (an expired key? see README.md, Troubleshooting)"
        drop_repository
        return 1
    fi
    local exact
    exact=$(apt-cache madison aventer-mesos |
            awk -F'|' -v want="$MESOS_VERSION" '{gsub(/ /, "", $2)} index($2, want ".") == 1 {print $2; exit}')
    if [ -z "$exact" ]; then
        log "AVENTER's repository has no aventer-mesos $MESOS_VERSION for $CODENAME; it has:"
        apt-cache madison aventer-mesos | awk -F'|' '{print "    " $2}' >&2
        return 1
    fi
    log "installing aventer-mesos=$exact from AVENTER's repository"
    apt-get install -y -qq --no-install-recommends "aventer-mesos=$exact" > /dev/null || return 1
    # the package is held from now on, so the repository has nothing more to give; without it, a later
    # apt-get update cannot fail on AVENTER's key expiring
    log "removing AVENTER's repository again (aventer-mesos is held)"
    drop_repository
}

from_cache() {
    local deb=$CACHE/aventer-mesos_$MESOS_VERSION.${DISTRO_TAG}_amd64.deb
    if [ ! -f "$deb" ]; then
        die "no $deb: run vagrant/fetch-debs.sh on a machine with internet, then vagrant rsync"
    fi
    if [ -f "$CACHE/SHA256SUMS" ]; then
        (cd "$CACHE" && sha256sum --quiet --ignore-missing -c SHA256SUMS) || die "$CACHE/SHA256SUMS does not match"
    fi
    log "installing ${deb##*/} from the cache (no repository signature involved)"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$deb" > /dev/null
}

current=$(installed_version)
if [ -n "$current" ]; then
    case "$current" in
        "$MESOS_VERSION".*) hold; exit 0 ;;
        *) die "aventer-mesos $current is installed, not $MESOS_VERSION: apt-mark unhold aventer-mesos and remove it first, or set MESOS_VERSION" ;;
    esac
fi

# what the package's libraries need besides its declared dependencies (as AVENTER's own ansible role does)
apt_install libsvn1 libsasl2-modules libevent-dev libcurl4-nss-dev libunwind8
case "$MESOS_SOURCE" in
    repo) from_repo || { log "falling back to the .deb cache"; from_cache; } ;;
    cache) from_cache ;;
    *) die "MESOS_SOURCE=$MESOS_SOURCE is neither repo nor cache" ;;
esac
hold
log "aventer-mesos $(installed_version) installed and held"
# the package may enable both daemons: each role script turns on only its own
