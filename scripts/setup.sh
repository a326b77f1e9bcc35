#!/usr/bin/env bash
# Installs what wgcam needs on a fresh Debian 12 machine: Mesa's lavapipe Vulkan driver from bookworm-backports
# (Mesa 25; Debian 12's own Mesa 22 lacks features Dawn requires), Chromium for the browser tests, then the
# npm packages. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

have_mesa25() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25
}

if ! have_mesa25 || ! command -v chromium >/dev/null 2>&1; then
  if [ ! -f /etc/apt/sources.list.d/bookworm-backports.list ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  fi
  $SUDO apt-get update -q
  have_mesa25 || $SUDO apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers
  command -v chromium >/dev/null 2>&1 || $SUDO apt-get install -y -q chromium
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # onnxruntime-node (a dev dependency: the bench's Node peer) would download CUDA libraries from outside the npm
  # registry in its install script; the bench uses only its bundled CPU and WebGPU providers.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
