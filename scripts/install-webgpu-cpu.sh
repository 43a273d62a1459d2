#!/usr/bin/env bash
# Gives a CPU-only Debian 12 (bookworm) machine a WebGPU adapter for Node's Dawn binding (the
# `webgpu` dev dependency): Mesa 25's lavapipe, a software Vulkan driver, from bookworm-backports.
# bookworm's own Mesa 22 is too old for Dawn. Idempotent; needs root (or sudo). CI calls it before
# `npm test`; without it the WebGPU tests print "WebGPU: skipped (...)" and the CPU tests still run.
# lavapipe runs WGSL at about 1 GFLOP/s: it checks kernels for correctness, it does not time them.
set -euo pipefail
if dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^2[5-9]'; then
  echo "webgpu-cpu: lavapipe already installed ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "webgpu-cpu: needs root (or sudo) to install packages" >&2; exit 1; }
  SUDO="sudo"
fi
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || { echo "webgpu-cpu: expected Debian bookworm, found ${PRETTY_NAME:-unknown}" >&2; exit 1; }
# Use the Debian mirror this machine already has (deb822 .sources files or the classic sources.list).
mirror=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
[ -n "$mirror" ] || mirror=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
[ -n "$mirror" ] || { echo "webgpu-cpu: no Debian mirror configured" >&2; exit 1; }
echo "deb $mirror bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
dpkg-query -W -f='webgpu-cpu: installed mesa-vulkan-drivers ${Version} (lavapipe)\n' mesa-vulkan-drivers
