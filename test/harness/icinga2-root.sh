#!/usr/bin/env bash
# A Debian 13 (trixie) root with Icinga2 2.14 from Debian's packages, for running the real-Icinga2
# tests against 2.14 next to the host's 2.13 (Debian 12); it also has Debian 13's nodejs and
# systemd, where the .deb test installs the package (test/harness/debian13-root.sh). Built once
# with debootstrap from the Debian mirror apt already uses (1-2 min), reused when present. Prints
# the path of a wrapper that runs the root's icinga2 with the arguments it is given: set
# ICINGA2_BIN to it.
#
# The wrapper runs icinga2 in its own mount namespace (nothing stays mounted afterwards), with
# /proc mounted (icinga2 needs it even for --version) and the temp dir bound at the same path, so
# the harness's paths mean the same inside and out; `exec` at every step keeps the caller's PID
# as the icinga2 umbrella process, so HUP, TERM and process-group kills work as with the host's.
# The root shares the host's network: the API listens on the host's loopback.
set -euo pipefail

root=${ICINGA2_ROOT:-/var/cache/icinga-relay-roots/trixie-icinga2}
wrapper="$root.icinga2"

# CI builds the root in the background while the .deb test may ask for it too: one builds, the
# other waits and reuses it.
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9

if [ -f "$root/.complete" ] && [ -x "$wrapper" ] && [ -x "$root/usr/bin/node" ]; then
  echo "$wrapper"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "building the Icinga2 2.14 root needs root (debootstrap, chroot)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# The first Debian archive in apt's sources (not the security archive), deb822 or one-line style.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -v '^\s*#' | grep -oE 'https?://[^ ]+/debian/?(\s|$)' | head -n 1 | tr -d '[:space:]' || true)
if [ -z "$mirror" ]; then
  echo "no Debian archive found in apt's sources (/etc/apt/sources.list*): debootstrap needs one" >&2
  exit 1
fi

started=$(date +%s)
echo "building a Debian 13 root with icinga2 in $root from $mirror" >&2
mkdir -p "$(dirname "$root")"
building=$(mktemp -d "$root.building.XXXXXX")
trap 'rm -rf "$building"' EXIT
# mktemp makes it 0700: icinga2-bin's postinst runs icinga2 as nagios, which must traverse /.
chmod 755 "$building"
debootstrap --variant=minbase --include=icinga2-bin,nodejs,adduser,ca-certificates,systemd,procps trixie "$building" "$mirror" >"$building.log" 2>&1 || {
  tail -n 30 "$building.log" "$building/debootstrap/debootstrap.log" >&2 2>/dev/null
  rm -f "$building.log"
  exit 1
}
rm -f "$building.log"
rm -rf "$building"/var/cache/apt/archives/*.deb "$building"/var/lib/apt/lists/*
touch "$building/.complete"
rm -rf "$root"
mv "$building" "$root"
trap - EXIT

cat > "$wrapper" <<WRAPPER
#!/bin/sh
# Runs icinga2 from $root (made by test/harness/icinga2-root.sh) with the given arguments.
tmp=\${TMPDIR:-/tmp}
mkdir -p "$root\$tmp"
exec unshare -m --propagation private sh -c '
  mount -t proc proc "\$0/proc" && mount --bind "\$1" "\$0\$1" && shift && exec chroot "\$0" /usr/sbin/icinga2 "\$@"
' "$root" "\$tmp" "\$@"
WRAPPER
chmod +x "$wrapper"
echo "built in $(( $(date +%s) - started )) s: $("$wrapper" --version | head -n 1)" >&2
echo "$wrapper"
