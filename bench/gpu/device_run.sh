#!/usr/bin/env bash
# wgcam on a lent GPU machine, in one call of the workplace's `device` tool (a bare machine with no Node, no npm
# and no registry): Dawn in Node on the vendor's Vulkan driver. Stages, most wanted first, each under its own
# time limit so that a slow one cannot eat the others:
#   info       the adapter Dawn picked (a software one stops the run: its figures would say nothing of the GPU)
#   bench-f32  the full `wgcam bench`: every kernel at ResNet50 shapes, the GEMM roofline, forward, Grad-CAM,
#              input gradient and train step
#   bench-nosplit  the conv forwards, input gradients and tasks again without split-K (`--split-k off`): the
#              comparison for split-K, in the same lease
#   vitest-kernels  the kernel, model and f16 tests against the PyTorch fixtures and float64 references (also
#              writes test/artifacts/f16-accuracy.md, the f16 path against the f32 fixtures on this adapter)
#   bench-f16  the same bench with f16 GEMM operands
#   vitest-rest the session, CLI and bench tests
# It needs, beside the working tree (see bench/README.md, "On a lent GPU", for how they are made):
#   .dev/node.xz     an x86-64 Node binary, xz-compressed
#   .dev/nm.tar.xz   node_modules without the browser-only packages (peers, puppeteer, typescript)
#   .gl/*.deb        the Vulkan loader (libvulkan1) and glvnd, which the machine's image may lack
# WGCAM_DEVICE_STAGES names the stages to run after info (all by default).
# Everything lands in $OUT/device-results.tar.gz, rewritten after each stage so that a run cut off at its time
# limit still returns what finished; the last lines printed are a summary.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-out/device}
work=$(mktemp -d)
mkdir -p "$out"
quick=${WGCAM_DEVICE_QUICK:-}   # set: a minutes-long dry run of the plumbing on a CPU machine

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
{ echo "host: $(nproc) cores; node $(node -v)"; echo "vulkan driver: ${VK_DRIVER_FILES:-default}"
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu,utilization.gpu --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
} > "$summary"

pack() { cp "$summary" "$work/r/" 2>/dev/null; tar -C "$work/r" -czf "$out/device-results.tar.gz" . ; }
mkdir -p "$work/r"
stage() {
  local name=$1 limit=$2; shift 2
  # WGCAM_DEVICE_STAGES="bench-f32 vitest-kernels" runs only those (a rerun within what is left of a lease).
  if [ -n "${WGCAM_DEVICE_STAGES:-}" ] && [[ " $WGCAM_DEVICE_STAGES " != *" $name "* ]]; then return 0; fi
  local start=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$work/r/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc after $(( $(date +%s) - start )) s (limit $limit s)" >> "$summary"
  pack
  return $rc
}

stage info 60 node bin/wgcam.mjs info
if grep -q 'architecture software\|llvmpipe\|SwiftShader' "$work/r/info.log" && [ -z "${WGCAM_DEVICE_SIM:-}" ]; then
  echo "stopped: Dawn picked a software adapter" >> "$summary"; pack; cat "$summary" "$work/r/info.log"; exit 1
fi

if [ -n "$quick" ]; then
  stage bench-f32 300 node bin/wgcam.mjs bench --quick --filter relu --e2e forward --json "$work/r/gpu-f32.json" --report "$work/r/gpu-f32.md" --chart "$work/r/gpu-f32.svg" --verbose
  stage bench-nosplit 300 node bin/wgcam.mjs bench --quick --split-k off --filter "conv fwd 1x1" --e2e none --json "$work/r/gpu-nosplit.json" --report "$work/r/gpu-nosplit.md"
  stage vitest-kernels 300 node node_modules/vitest/vitest.mjs run test/gemm_tiles.test.ts --reporter=default
  stage bench-f16 300 node bin/wgcam.mjs bench --quick --precision f16 --filter relu --e2e none --json "$work/r/gpu-f16.json" --report "$work/r/gpu-f16.md"
else
  # 15 runs: on a GPU each costs milliseconds, and the medians of 3 moved with the clocks.
  stage bench-f32 150 node bin/wgcam.mjs bench --runs 15 --json "$work/r/gpu-f32.json" --report "$work/r/gpu-f32.md" --chart "$work/r/gpu-f32.svg" --verbose
  stage bench-nosplit 90 node bin/wgcam.mjs bench --runs 15 --split-k off --filter "conv fwd,conv dx" --e2e forward,gradcam,input_grad --json "$work/r/gpu-nosplit.json" --report "$work/r/gpu-nosplit.md" --verbose
  # The suite in two parts, the kernels and the model against the fixtures first.
  stage vitest-kernels 130 node node_modules/vitest/vitest.mjs run kernels_forward kernels_backward model gradcam_gpu precision_f16 gemm_tiles conv_forms --reporter=default
  [ -f test/artifacts/f16-accuracy.md ] && cp test/artifacts/f16-accuracy.md "$work/r/" && pack
  stage bench-f16 110 node bin/wgcam.mjs bench --runs 15 --precision f16 --json "$work/r/gpu-f16.json" --report "$work/r/gpu-f16.md" --verbose
  stage vitest-rest 110 node node_modules/vitest/vitest.mjs run session cli bench --reporter=default
fi
pack
echo "---- info"; cat "$work/r/info.log"
for v in vitest-kernels vitest-rest; do [ -f "$work/r/$v.log" ] && { echo "---- $v"; grep -E "FAIL|Test Files|Tests  " "$work/r/$v.log" | tail -n 12; }; done
for r in gpu-f32 gpu-nosplit gpu-f16; do
  [ -f "$work/r/$r.json" ] && node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const e = r.e2e || {};
    const e2e = ["forward", "gradcam", "input_grad", "train_step"].filter((t) => e[`${t}_ms`] != null).map((t) => `${t} ${e[`${t}_ms`].toFixed(2)} ms`).join(", ");
    const convs = r.kernels.filter((k) => k.kind === "conv"), g = r.roofline.gemm.gflops;
    const at70 = convs.filter((k) => k.gflops >= 0.7 * g).length;
    console.log(`${process.argv[2]}: ${r.adapter.description}; GEMM ${g.toFixed(0)} GFLOP/s; convs at 70%: ${at70}/${convs.length}; ${e2e}`);
  ' "$work/r/$r.json" "$r"
done
echo "---- summary"; cat "$summary"
