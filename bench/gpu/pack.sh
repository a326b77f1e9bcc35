#!/usr/bin/env bash
# Makes here (an x86-64 Debian machine with `npm ci` done) what bench/gpu/device_run.sh needs beside the working
# tree on a lent GPU machine, which has no Node, no npm and no network: .dev (Node, node_modules) and .gl (the
# Vulkan loader), both git-ignored, to name in the device tool's `carry`. Then it checks the tool's limit: the
# working tree and the carried paths together at most 64 MiB.
#   bash bench/gpu/pack.sh            # minutes: xz at its strongest
#   WGCAM_PACK_XZ=1 bash bench/gpu/pack.sh   # seconds, larger: for a rehearsal (device_run.sh, WGCAM_DEVICE_SIM)
# onnxruntime-node's library (45 MB, 12-13 MB compressed) goes in only while it fits; without it the Node peer
# says so in its one line.
set -euo pipefail
cd "$(dirname "$0")/../.."
level=${WGCAM_PACK_XZ:-9e}
limit=$((64 * 1024 * 1024))
# The x86 filter: most of it is machine code; a dictionary as large as the biggest input.
xzc() { xz -T1 --x86 --lzma2=preset="$level",dict=128MiB -c; }
mkdir -p .dev .gl

# Node: this machine's binary without its symbols and debug info (Debian's carries both: 99 MB, 86 stripped).
node_bin=$(readlink -f "$(command -v node)")
strip -o .dev/node.stripped "$node_bin"
xzc < .dev/node.stripped > .dev/node.xz
rm .dev/node.stripped

# The TF.js peer as one ES module (bench/peers/tfjs_node.ts), so that @tensorflow need not travel.
node --import tsx/esm -e "const { tfjsBundle } = await import('./bench/peers/tfjs_node.ts'); await tfjsBundle(console.log);"

# The Vulkan loader and glvnd (the device README's recipe), amd64 whatever this machine is.
if ! ls .gl/libvulkan1_*.deb > /dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial && apt-get $o update -q && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

# node_modules: what `wgcam bench --peers` and vitest load in Node on linux-x64. Left out: the browser-only
# packages (onnxruntime-web, puppeteer and what only it needs), TF.js's sources and what only they need (the
# bundle above replaces them), onnxruntime-node's install script's needs, typescript and @types, fast-check (the
# fuzz tests, not run there), Vite's CSS engine (lightningcss, loaded only for CSS), tsx and its esbuild (there,
# bench/gpu/wgcam_device.mjs compiles the TypeScript with rolldown, which vitest needs anyway: 3.5 MiB saved is
# what lets onnxruntime-node in), and every other platform's binaries.
common_excludes=(
  --exclude=node_modules/onnxruntime-web --exclude=node_modules/@tensorflow --exclude=node_modules/seedrandom
  --exclude=node_modules/@protobufjs --exclude=node_modules/protobufjs --exclude=node_modules/flatbuffers
  --exclude=node_modules/typescript --exclude=node_modules/@types
  --exclude=node_modules/puppeteer-core --exclude=node_modules/chromium-bidi --exclude=node_modules/devtools-protocol
  --exclude=node_modules/@puppeteer --exclude=node_modules/zod --exclude=node_modules/webdriver-bidi-protocol
  --exclude=node_modules/ws --exclude=node_modules/yargs --exclude=node_modules/yargs-parser --exclude=node_modules/long
  --exclude=node_modules/node-fetch --exclude=node_modules/whatwg-url --exclude=node_modules/tr46
  --exclude=node_modules/webidl-conversions --exclude=node_modules/adm-zip --exclude=node_modules/global-agent
  --exclude=node_modules/fast-check --exclude=node_modules/pure-rand
  --exclude=node_modules/tsx --exclude=node_modules/esbuild --exclude=node_modules/@esbuild --exclude=node_modules/.bin
  --exclude='node_modules/lightningcss*'
  --exclude='node_modules/webgpu/dist/[dw]*' --exclude=node_modules/webgpu/dist/linux-arm64
  --exclude=node_modules/onnxruntime-node/bin/napi-v6/darwin --exclude=node_modules/onnxruntime-node/bin/napi-v6/win32
  --exclude=node_modules/onnxruntime-node/bin/napi-v6/linux/arm64
  --exclude=node_modules/.vite --exclude=node_modules/.vitest
)
tree_bytes=$(git ls-files -co --exclude-standard -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
gl_bytes=$(cat .gl/*.deb | wc -c)
node_bytes=$(stat -c %s .dev/node.xz)
tar -cf - "${common_excludes[@]}" node_modules | xzc > .dev/nm.tar.xz
total=$((tree_bytes + gl_bytes + node_bytes + $(stat -c %s .dev/nm.tar.xz)))
ort="with onnxruntime-node"
if [ "$total" -gt "$limit" ]; then
  tar -cf - "${common_excludes[@]}" --exclude=node_modules/onnxruntime-node --exclude=node_modules/onnxruntime-common node_modules | xzc > .dev/nm.tar.xz
  total=$((tree_bytes + gl_bytes + node_bytes + $(stat -c %s .dev/nm.tar.xz)))
  ort="without onnxruntime-node (it did not fit)"
fi
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "working tree $(mib "$tree_bytes"), .gl $(mib "$gl_bytes"), .dev/node.xz $(mib "$node_bytes"), .dev/nm.tar.xz $(mib "$(stat -c %s .dev/nm.tar.xz)") $ort"
echo "in all $(mib "$total") of the device tool's 64 MiB"
[ "$total" -le "$limit" ] || { echo "over the limit: the device tool would refuse this tree" >&2; exit 1; }
