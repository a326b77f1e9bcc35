#!/usr/bin/env bash
# wgcam on a lent GPU machine, in one call of the workplace's `device` tool (a bare x86-64 machine with no Node,
# no npm and no network): Dawn in Node on the vendor's Vulkan driver, beside TensorFlow.js and onnxruntime-node on
# the same adapter. Stages, most wanted first, each under its own time limit and all under one budget
# (WGCAM_DEVICE_BUDGET_S, default 450 s, so that the call with the machine's start and the transfers stays
# within 10 minutes):
#   info        the adapter Dawn picked (a software one stops the run: its figures would say nothing of the GPU)
#   bench       the full `wgcam bench --peers`: the roofline (GEMM at 1024^3 and 4096^3, a 64 MiB stream), every
#               kernel at ResNet50 shapes, forward, Grad-CAM, input gradient and train step, then TF.js (forward,
#               Grad-CAM, input gradient) and onnxruntime-node (forward) with their logits checked against
#               wgcam's; Dawn's speed toggles as `auto` gives them (on for a GPU)
#   toggles-off, toggles-on, toggles-off2, toggles-on2
#               the roofline, one conv and the three peer tasks with WGCAM_DAWN_TOGGLES=off and =on, alternated
#               twice: what the toggles bring (src/node/gpu.ts)
#   vitest-kernels  the kernel, model and f16 tests against the PyTorch fixtures and float64 references (also
#               writes test/artifacts/f16-accuracy.md)
#   nosplit, f16, vitest-rest  as the budget allows: the conv forwards, input gradients and tasks without split-K,
#               the bench with f16 GEMM operands, the session and bench tests (the CLI's spawn bin/wgcam.mjs,
#               whose tsx does not travel)
# WGCAM_DEVICE_STAGES="bench vitest-kernels" runs only those (a rerun within what is left of a lease).
# It needs, beside the working tree, what `bash bench/gpu/pack.sh` makes here (carry [".dev", ".gl"]):
#   .dev/node.xz     this machine's Node binary, stripped, xz-compressed
#   .dev/nm.tar.xz   node_modules without the browser-only packages, with the TF.js bundle and onnxruntime-node
#                    for linux-x64 (when they fit the tool's 64 MiB)
#   .gl/*.deb        the Vulkan loader (libvulkan1) and glvnd, which the machine's image may lack
# Writes $OUT/gpu-<name>.{json,md,svg} (the bench; <name> from nvidia-smi, e.g. h100), $OUT/summary.txt and
# $OUT/device-results.tar.gz (every log and result), the archive rewritten after each stage so that a run cut off
# at its limit still returns what finished. The last lines printed are the summary.
# WGCAM_DEVICE_SIM=1 rehearses it on a machine without a GPU (software adapter allowed, no driver set-up);
# WGCAM_DEVICE_QUICK=1 makes every stage a short one (bench/README.md, "On a lent GPU": the rehearsal).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-out/device}
work=$(mktemp -d)
mkdir -p "$out" "$work/r"
quick=${WGCAM_DEVICE_QUICK:-}
budget=${WGCAM_DEVICE_BUDGET_S:-450}
t_start=$(date +%s)

if [ -z "${WGCAM_DEVICE_SIM:-}" ]; then
  # The loader goes into / (the device README's recipe); other packages would not be safe there.
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  # Only NVIDIA's driver, so that a software Vulkan driver in the image can never be the one measured.
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; break; fi
  done
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
mkdir -p .dev/bin
xz -dc .dev/node.xz > .dev/bin/node && chmod +x .dev/bin/node
export PATH=$PWD/.dev/bin:$PATH
[ -d node_modules/webgpu ] || tar -xJf .dev/nm.tar.xz
# The tuners' cache starts empty: every choice is measured on this adapter.
export WGCAM_CACHE=$work/cache NO_COLOR=1

summary=$work/summary.txt
{ echo "host: $(nproc) cores; node $(node -v); unpacked after $(( $(date +%s) - t_start )) s"; echo "vulkan driver: ${VK_DRIVER_FILES:-default}"
  if command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu,utilization.gpu --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
  else echo "gpu: no nvidia-smi"; fi
} > "$summary"
# The results' name: the GPU's model (h100, h200, ...), or sim-<adapter> in a rehearsal.
name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 | grep -oiE '[A-Z]+[0-9]{2,4}[A-Z]*' | head -n 1 | tr 'A-Z' 'a-z')
[ -n "${WGCAM_DEVICE_SIM:-}" ] && name="sim-${name:-cpu}"
name=${name:-gpu}

pack() { cp "$summary" "$work/r/" 2>/dev/null; tar -C "$work/r" -czf "$out/device-results.tar.gz" . ; }
stage() {
  local stage_name=$1 limit=$2; shift 2
  if [ -n "${WGCAM_DEVICE_STAGES:-}" ] && [[ " $WGCAM_DEVICE_STAGES " != *" $stage_name "* ]]; then return 0; fi
  local left=$(( budget - ($(date +%s) - t_start) ))
  if [ "$left" -lt 20 ]; then echo "$stage_name: skipped, $left s of the budget left" >> "$summary"; return 0; fi
  [ "$limit" -gt "$left" ] && limit=$left
  local start=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$work/r/$stage_name.log" 2>&1
  local rc=$?
  echo "$stage_name: exit $rc after $(( $(date +%s) - start )) s (limit $limit s)" >> "$summary"
  pack
  return $rc
}
# `timeout` runs programs, not shell functions: the command is spelt out. wgcam_device.mjs is bin/wgcam.mjs
# without tsx, which pack.sh leaves behind.
wgcam="node bench/gpu/wgcam_device.mjs"

stage info 60 $wgcam info
if grep -q 'architecture software\|llvmpipe\|SwiftShader\|software adapter' "$work/r/info.log" && [ -z "${WGCAM_DEVICE_SIM:-}" ]; then
  echo "stopped: Dawn picked a software adapter" >> "$summary"; pack; cat "$summary" "$work/r/info.log"; exit 1
fi

r=$work/r
if [ -n "$quick" ]; then
  stage bench 600 $wgcam bench --quick --peers --filter relu --e2e forward,gradcam --json "$r/gpu-$name.json" --report "$r/gpu-$name.md" --chart "$r/gpu-$name.svg" --verbose
  for s in off on; do
    stage "toggles-$s" 120 env WGCAM_DAWN_TOGGLES="$s" $wgcam bench --quick --filter "relu fwd 1x64x112" --e2e forward --json "$r/toggles-$s.json"
  done
  stage vitest-kernels 300 node node_modules/vitest/vitest.mjs run test/dawn_toggles.test.ts --reporter=default
else
  # 15 runs: on a GPU each costs milliseconds, and the medians of 3 moved with the clocks.
  stage bench 200 $wgcam bench --runs 15 --peers --json "$r/gpu-$name.json" --report "$r/gpu-$name.md" --chart "$r/gpu-$name.svg" --verbose
  for s in off on off2 on2; do
    stage "toggles-$s" 40 env WGCAM_DAWN_TOGGLES="${s%2}" $wgcam bench --runs 15 --filter "conv fwd 3x3/1 64->64" --e2e forward,gradcam,input_grad --json "$r/toggles-$s.json"
  done
  # The kernels and the model against the fixtures.
  stage vitest-kernels 130 node node_modules/vitest/vitest.mjs run kernels_forward kernels_backward model gradcam_gpu precision_f16 gemm_tiles conv_forms dawn_toggles --reporter=default
  [ -f test/artifacts/f16-accuracy.md ] && cp test/artifacts/f16-accuracy.md "$r/" && pack
  stage nosplit 60 $wgcam bench --runs 15 --split-k off --filter "conv fwd,conv dx" --e2e forward,gradcam,input_grad --json "$r/gpu-$name-nosplit.json" --report "$r/gpu-$name-nosplit.md"
  stage f16 90 $wgcam bench --runs 15 --precision f16 --json "$r/gpu-$name-f16.json" --report "$r/gpu-$name-f16.md"
  stage vitest-rest 110 node node_modules/vitest/vitest.mjs run session bench --reporter=default
fi

# The summary: tests, then each result's headline figures.
{
  for v in vitest-kernels vitest-rest; do [ -f "$r/$v.log" ] && { echo "---- $v"; grep -E "FAIL|Test Files|Tests  " "$r/$v.log" | tail -n 12; }; done
  echo "---- results"
  node -e '
    const fs = require("fs"), path = require("path");
    const dir = process.argv[1];
    const f = (x, d = 1) => (x == null ? "-" : x.toFixed(d));
    for (const file of fs.readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
      const r = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
      const e = r.e2e || {}, roof = r.roofline || {};
      const tasks = ["forward", "gradcam", "input_grad", "train_step"].filter((t) => e[`${t}_ms`] != null).map((t) => `${t} ${f(e[`${t}_ms`], 2)} ms`).join(", ");
      const gemms = [roof.gemm, roof.gemm_large].filter(Boolean).map((g) => `${g.name} ${f(g.gflops, 0)} GFLOP/s`).join(", ");
      const stream = roof.bandwidth ? `${roof.bandwidth.name} ${f(roof.bandwidth.gbps, 0)} GB/s` : "";
      const toggles = (r.notes || []).find((n) => n.startsWith("Dawn toggles")) || "";
      console.log(`${file}: ${r.adapter.description}; ${gemms}; ${stream}; ${tasks}; ${toggles}`);
      for (const [peer, p] of Object.entries(r.peers || {})) {
        if (p.error) { console.log(`  ${peer}: ${p.error}`); continue; }
        const cells = ["forward", "gradcam", "input_grad"].filter((t) => p[`${t}_ms`] != null).map((t) => `${t} ${f(p[`${t}_ms`], 2)} ms (wgcam/peer ${f((p.wgcam_over_peer || {})[t], 2)})`);
        console.log(`  ${peer} ${p.version || ""}: ${cells.join(", ")}; logits rel L2 ${p.logits_rel_l2 == null ? "-" : p.logits_rel_l2.toExponential(1)}`);
      }
    }
  ' "$r"
} >> "$summary" 2>&1
pack
for ext in json md svg; do [ -f "$r/gpu-$name.$ext" ] && cp "$r/gpu-$name.$ext" "$out/"; done
cp "$summary" "$out/summary.txt"
echo "---- info"; cat "$r/info.log"
echo "---- summary"; cat "$summary"
echo "total: $(( $(date +%s) - t_start )) s of a $budget s budget"
