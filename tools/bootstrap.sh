#!/bin/sh
# Installs the npm dependencies (and with them the pinned Node.js 24 from the
# npm package `node`) the first time, and again whenever package-lock.json
# changes. Every npm script runs it first, so a fresh clone needs no set-up.
set -eu
cd "$(dirname "$0")/.."
stamp=node_modules/.keelson-deps-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -x node_modules/.bin/node ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "keelson: installing npm dependencies (package-lock.json changed or first run)" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" > "$stamp"
