#!/usr/bin/env bash
# Installs the benchmark peers into bench/peers/node_modules (not part of papergrad's dependencies):
# TensorFlow.js with its wasm backend, and jax-js (its wasm backend).
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --no-package-lock >/dev/null
v() { node -e "console.log(require('./node_modules/$1/package.json').version)"; }
echo "peers installed: @tensorflow/tfjs $(v @tensorflow/tfjs), @tensorflow/tfjs-backend-wasm $(v @tensorflow/tfjs-backend-wasm), @jax-js/jax $(v @jax-js/jax)"
