#!/usr/bin/env bash
# Machine setup for the test suite (idempotent, needs root on Debian 12): a software WebGPU adapter
# (Mesa lavapipe) for the Node WebGPU tests, Debian's Chromium for the browser checks, and redis-server
# for the sweep tests (packages/sweep; the tests start their own instances, not the system service).
# Best effort: when a step fails, the affected tests print a visible "skipped (reason)" line.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ci-setup: not root on Debian; skipping system packages"; exit 0
fi
if [ -f scripts/install-webgpu-cpu.sh ]; then
  bash scripts/install-webgpu-cpu.sh || echo "ci-setup: lavapipe install failed (WebGPU tests will skip)"
fi
if ! command -v chromium >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null) \
    && echo "ci-setup: chromium $(chromium --version 2>/dev/null)" || echo "ci-setup: chromium install failed (browser tests will skip)"
else
  echo "ci-setup: chromium present"
fi
if ! command -v redis-server >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null) \
    && echo "ci-setup: $(redis-server --version | cut -d' ' -f1-3)" || echo "ci-setup: redis-server install failed (sweep tests will skip)"
else
  echo "ci-setup: redis-server present"
fi
exit 0
