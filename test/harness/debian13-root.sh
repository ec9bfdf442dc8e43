#!/usr/bin/env bash
# The Debian 13 root with Debian's own nodejs and systemd where the .deb test installs the package
# as an admin would: the one test/harness/icinga2-root.sh builds (once) for Icinga2 2.14. Prints
# the root's path. The test installs into an overlay, so the root stays as it was built.
set -euo pipefail
wrapper=$(bash "$(dirname "$0")/icinga2-root.sh")
echo "${wrapper%.icinga2}"
