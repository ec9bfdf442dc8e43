#!/usr/bin/env bash
# `npm run package:deb`: builds dist/icinga-relay_<version>_all.deb with dpkg-deb from the
# current checkout: the compiled relay and its production node modules under
# /usr/lib/icinga-relay, /usr/bin/icinga-relay, the systemd unit, config.example.yml as the
# conffile /etc/icinga-relay/config.yml. Prints the .deb's path.
# Usage: build-deb.sh [--no-build] [OUT.deb]; --no-build packs dist/ as it is (the tests, which
# run on a fresh build and must not rewrite dist/ under the other tests).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
version=$(node -p 'require("./package.json").version')
build=yes
if [ "${1:-}" = --no-build ]; then
  build=no
  shift
fi
out=${1:-$repo/dist/icinga-relay_${version}_all.deb}

[ "$build" = yes ] && npm run --silent build >&2
stage=$(mktemp -d "${TMPDIR:-/tmp}/icinga-relay-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
lib=$stage/usr/lib/icinga-relay

install -d "$lib/dist"
cp package.json package-lock.json "$lib/"
# Only the daemon's code: dist/test holds the tests and the harness.
cp -r dist/src dist/formatters "$lib/dist/"
find "$lib/dist" -name '*.map' -delete
(cd "$lib" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
rm "$lib/package-lock.json"
# Everything a module ships besides its code is not needed to run it.
find "$lib/node_modules" \( -name '*.md' ! -iname 'license*' -o -name '*.map' -o -name '*.ts' -o -name '.*' -o -name '*.tsbuildinfo' \) -type f -delete
find "$lib/node_modules" -type d \( -name test -o -name tests -o -name docs -o -name example -o -name examples \) -prune -exec rm -rf {} +
find "$lib/node_modules/.bin" -maxdepth 0 -exec rm -rf {} + 2>/dev/null || true

# node with the V8 flags of the bin's first line (src/cli.ts says why); `env -S` is not for /usr/bin.
flags=$(sed -n '1s|^#!/usr/bin/env -S node ||p' dist/src/cli.js)
[ -n "$flags" ]
sed -i '1s|^#!.*|// Run by /usr/bin/icinga-relay, which passes the V8 flags of this line in the source.|' "$lib/dist/src/cli.js"
install -d "$stage/usr/bin"
printf '#!/bin/sh\nexec /usr/bin/node %s /usr/lib/icinga-relay/dist/src/cli.js "$@"\n' "$flags" > "$stage/usr/bin/icinga-relay"
install -d "$stage/usr/share/man/man1"
gzip -9n < packaging/deb/icinga-relay.1 > "$stage/usr/share/man/man1/icinga-relay.1.gz"
install -d "$stage/usr/share/lintian/overrides"
install -m 0644 packaging/deb/lintian-overrides "$stage/usr/share/lintian/overrides/icinga-relay"

install -d "$stage/usr/lib/systemd/system"
sed 's|/opt/icinga-relay/dist/src/cli.js|/usr/lib/icinga-relay/dist/src/cli.js|' systemd/icinga-relay.service \
  > "$stage/usr/lib/systemd/system/icinga-relay.service"
grep -q '^ExecStart=.*/usr/lib/icinga-relay/dist/src/cli.js' "$stage/usr/lib/systemd/system/icinga-relay.service"

install -d -m 0750 "$stage/etc/icinga-relay" "$stage/var/lib/icinga-relay"
# The editor finds the schema where the package puts it.
sed '1s|^# yaml-language-server: \$schema=./config.schema.json$|# yaml-language-server: $schema=/usr/share/icinga-relay/config.schema.json|' config.example.yml \
  > "$stage/etc/icinga-relay/config.yml"
chmod 0640 "$stage/etc/icinga-relay/config.yml"
grep -q '^# yaml-language-server: \$schema=/usr/share/icinga-relay/config.schema.json$' "$stage/etc/icinga-relay/config.yml"

# For the admin's editor and to hand on: the config schema, the Slack app manifest, the Grafana
# dashboard, the Prometheus rules.
share=$stage/usr/share/icinga-relay
install -d "$share"
install -m 0644 config.schema.json slack-app-manifest.yml dashboards/icinga-relay.grafana.json dashboards/icinga-relay.rules.yml "$share/"

doc=$stage/usr/share/doc/icinga-relay
install -d "$doc"
install -m 0644 packaging/deb/copyright "$doc/copyright"
install -m 0644 README.md "$doc/README.md"
gzip -9n "$doc/README.md"
{
  echo "icinga-relay ($version) unstable; urgency=medium"
  echo
  echo "  * Built from the icinga-relay repository, version $version."
  echo
  echo " -- $(sed -n 's/^Maintainer: //p' packaging/deb/control)  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$doc/changelog.gz"

install -d "$stage/DEBIAN"
installed_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_kb/" packaging/deb/control > "$stage/DEBIAN/control"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
echo /etc/icinga-relay/config.yml > "$stage/DEBIAN/conffiles"

# Files are root's; directories 0755 and files 0644 unless made otherwise above.
find "$stage" -type d ! -path "$stage/etc/icinga-relay" ! -path "$stage/var/lib/icinga-relay" -exec chmod 0755 {} +
find "$stage/usr" -type f -exec chmod 0644 {} +
chmod 0755 "$stage/usr/bin/icinga-relay"
# Scripts modules ship (yaml's CLI) keep the executable bit their first line asks for.
grep -rl --include='*.js' --include='*.mjs' --include='*.cjs' -m1 '^#!' "$lib/node_modules" | while read -r script; do
  [ "$(head -c2 "$script")" = '#!' ] && chmod 0755 "$script"
done
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >&2
echo "$out"
