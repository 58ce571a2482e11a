#!/usr/bin/env bash
# Fills vagrant/cache/ with the pinned aventer-mesos .deb, for MESOS_SOURCE=cache (or the automatic fallback
# when AVENTER's repository fails, e.g. on an expired signing key). Run it once on any machine with internet
# and curl, then `vagrant rsync` (or `vagrant up`) copies the cache into the VMs with the rest of the repo.
#
#   vagrant/fetch-debs.sh                          # MESOS_VERSION=1.11.0-0.7.1, debian12
#   MESOS_VERSION=1.11.0-0.9.0 vagrant/fetch-debs.sh
#   AVENTER_POOL=https://mirror.example/aventer/Debian/pool/main/a/aventer-mesos vagrant/fetch-debs.sh
#
# It writes SHA256SUMS next to the files; the VMs check it before they install. Idempotent: a file already
# there and listed is kept.
set -euo pipefail
MESOS_VERSION=${MESOS_VERSION:-1.11.0-0.7.1}
DISTRO_TAG=${DISTRO_TAG:-debian12}
AVENTER_POOL=${AVENTER_POOL:-http://rpm.aventer.biz/Debian/pool/main/a/aventer-mesos}
cache=$(cd "$(dirname "$0")" && pwd)/cache
name=aventer-mesos_${MESOS_VERSION}.${DISTRO_TAG}_amd64.deb

mkdir -p "$cache"
cd "$cache"
if [ -f "$name" ] && [ -f SHA256SUMS ] && grep -q " $name\$" SHA256SUMS; then
    echo "fetch-debs: $name is cached already"
    exit 0
fi
echo "fetch-debs: downloading $AVENTER_POOL/$name"
curl -fL --retry 3 -o "$name.part" "$AVENTER_POOL/$name"
# a .deb is an ar archive: refuse an HTML error page or a truncated download
if [ "$(head -c 8 "$name.part")" != '!<arch>' ]; then
    rm -f "$name.part"
    echo "fetch-debs: $AVENTER_POOL/$name is not a Debian package" >&2
    exit 1
fi
mv "$name.part" "$name"
if command -v sha256sum > /dev/null; then
    sum=$(sha256sum "$name")
else
    sum=$(shasum -a 256 "$name")   # macOS
fi
touch SHA256SUMS
grep -v " $name\$" SHA256SUMS > SHA256SUMS.new || true
echo "$sum" >> SHA256SUMS.new
mv SHA256SUMS.new SHA256SUMS
echo "fetch-debs: cached $cache/$name ($(wc -c < "$name") bytes); now run: vagrant rsync, and provision with MESOS_SOURCE=cache"
