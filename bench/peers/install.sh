#!/usr/bin/env bash
# Installs the benchmark peers into bench/peers/node_modules (not part of papergrad's dependencies).
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --no-package-lock >/dev/null
echo "peers installed: $(node -e "console.log(require('./node_modules/@tensorflow/tfjs/package.json').version)") @tensorflow/tfjs (CPU backend)"
