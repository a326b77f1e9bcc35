#!/bin/bash
# The README's first command with both caches empty (Mesa's shader cache and wgcam's), then warm on the same
# caches, and `wgcam info --verbose` with empty caches (pipelines of one Grad-CAM, first job against second).
# Run from a checkout, alone on the machine: /work/team/gpu --exclusive -- bash bench/experiments/cold_start.sh
CMD="npx wgcam cam --weights synthetic --image src/app/samples/chelsea.png --out out/chelsea-cam.png --verbose"
T=$(mktemp -d)
date -u; git log --oneline -1; cut -d' ' -f1-3 /proc/loadavg
echo "== cold: MESA_SHADER_CACHE_DIR and WGCAM_CACHE empty ($T)"
/usr/bin/time -f "wall %e s" env MESA_SHADER_CACHE_DIR=$T/mesa WGCAM_CACHE=$T/wgcam $CMD 2>&1 | grep -v Warning
for i in 1 2 3; do
  echo "== warm $i"
  /usr/bin/time -f "wall %e s" env MESA_SHADER_CACHE_DIR=$T/mesa WGCAM_CACHE=$T/wgcam $CMD 2>&1 | grep -E "wall|forward|pipelines"
done
echo "== info --verbose, empty caches"
/usr/bin/time -f "wall %e s" env MESA_SHADER_CACHE_DIR=$T/mesa-info WGCAM_CACHE=$T/wgcam-info npx wgcam info --verbose 2>&1 | grep -v Warning
rm -rf "$T"
