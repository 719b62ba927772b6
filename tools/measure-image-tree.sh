#!/bin/sh
# Builds the operator image's /app file tree as deploy/Dockerfile does, without
# a container engine, and prints its size (the base image's Node.js binary is
# printed beside it: the pinned one, the same version line). Run it where npm
# and the pinned Node are installed: sh tools/measure-image-tree.sh
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
cp "$repo/package.json" "$repo/package-lock.json" "$tree/"
cp -r "$repo/src" "$tree/src"
cd "$tree"
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
before=$(du -sm . | cut -f1)
# The Dockerfile's pruning, word for word.
find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 \
  ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} +
rm -rf node_modules/@temporalio/core-bridge/sdk-core
find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' \) -delete
NODE_ENV=production "$repo/node_modules/.bin/node" src/main.ts bundle 2>/dev/null
echo "image /app: $(du -sm . | cut -f1) MiB (node_modules $(du -sm node_modules | cut -f1), dist $(du -sm dist | cut -f1), src $(du -sm src | cut -f1)); before pruning ${before} MiB"
echo "Node.js binary (in the base image): $(du -m "$(readlink -f "$repo/node_modules/.bin/node")" | cut -f1) MiB"
