#!/usr/bin/env bash
# Installs the Debian packages the real-server tests and the demo need, if any is missing.
# Needs root for apt-get; as another user it only says what to install.
set -euo pipefail

declare -A binary_of=(
  [icinga2-bin]=/usr/sbin/icinga2
  [openssl]=/usr/bin/openssl
  [inspircd]=/usr/sbin/inspircd
  [atheme-services]=/usr/bin/atheme-services
  [prosody]=/usr/bin/prosody
  [systemd]=/usr/bin/systemd-analyze
  [debootstrap]=/usr/sbin/debootstrap
  [lintian]=/usr/bin/lintian
  [prometheus]=/usr/bin/promtool
)
missing=()
for package in "${!binary_of[@]}"; do
  [ -x "${binary_of[$package]}" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run as root, or first: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "installing Debian packages: ${missing[*]}" >&2
# The packages' postinst scripts try to start system daemons; the tests run their own, so
# keep the system ones from starting (policy-rc.d exit 101), as Debian's Docker images do.
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  made_policy=yes
fi
trap '[ "$made_policy" = yes ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
