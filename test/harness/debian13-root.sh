#!/usr/bin/env bash
# Builds (once) a Debian 13 root with Debian's own nodejs and systemd, where the .deb test installs the
# package as an admin would. Prints the root's path. Debian's packages only; the root is kept
# between runs because debootstrap takes minutes and the test removes what it installed.
set -euo pipefail
root=${ICINGA_RELAY_DEBIAN13_ROOT:-/var/cache/icinga-relay-test/debian13}
if [ -x "$root/usr/bin/node" ] && [ -e "$root/.complete" ]; then
  echo "$root"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "building a Debian 13 root needs root (debootstrap, chroot)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
rm -rf "$root"
mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase --include=nodejs,adduser,ca-certificates,systemd,procps trixie "$root" http://deb.debian.org/debian >&2
touch "$root/.complete"
echo "$root"
