#!/usr/bin/env bash
# The checks that need a GPU machine with no Node.js and no network (the H100/H200 lent to some sessions),
# run from the repository root there, results under $OUT:
#   1. bench/webgpu-fixture-deltas.mjs: every HF fixture on the GPU's own kernels vs transformers and the reference;
#   2. bench/webgpu-decode.mjs: issue 6's 7.4B Gemma 4 shape, decode / prefill tokens/s in bf16, Q8_0, Q4_0;
#   3. test/interop: transformers loads the default model our trainer wrote, PEFT loads our LoRA adapter
#      (the machine's Python has torch, transformers and peft), compared with our reference backend;
#   4. the WebGPU test files on the real adapter.
# Prepared on a machine with Node by scripts/prepare-device-carry.sh (all git-ignored, carried as
# .device-carry, ~30 MB: Vulkan loader .debs, node, the node_modules the checks load, dist/).
# CHECKS (default "deltas decode interop tests") picks the parts; DECODE_ARGS (default "--profile
# --matvec-rows default,1,4") go to webgpu-decode.mjs
# (--profile: GPU time per kernel; --matvec-rows: decode with each matrix-vector rows-per-thread choice).
set -u
OUT=${OUT:-/tmp/gpu-out}
CHECKS=${CHECKS:-deltas decode interop tests}
has() { case " $CHECKS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
mkdir -p "$OUT" /tmp/gpu-bin
C=.device-carry
for f in "$C"/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
xz -dc "$C/node.xz" > /tmp/gpu-bin/node && chmod +x /tmp/gpu-bin/node
export PATH=/tmp/gpu-bin:$PATH XDG_RUNTIME_DIR=/tmp
mkdir -p node_modules && tar xJf "$C/node_modules.tar.xz" -C node_modules && tar xJf "$C/dist.tar.xz"
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$ICD" ] && export VK_DRIVER_FILES=$ICD
EGL=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$EGL" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$EGL
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv; node -v; nproc; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

# 3 runs on the CPU beside the GPU work.
has interop && ( node test/interop/write-our-outputs.mjs /tmp/ours.json && PYTHONUNBUFFERED=1 timeout 300 python3 test/interop/check_transformers_peft.py /tmp/ours.json ) > "$OUT/interop.txt" 2>&1 &

has deltas && echo "== fixture deltas" && timeout 120 node bench/webgpu-fixture-deltas.mjs 2>&1 | grep -v '^Warning: maxDynamic' | tee "$OUT/fixture-deltas.txt"
# Dawn rounds GPU timestamps to 100 µs unless told not to (only --profile reads them).
has decode && echo "== decode bench" && GEMMA4_DAWN_FLAGS="disable-dawn-features=timestamp_quantization" timeout 420 node bench/webgpu-decode.mjs ${DECODE_ARGS:---profile --matvec-rows default,1,4} 2>&1 | grep -v '^Warning: maxDynamic' | tee "$OUT/webgpu-decode.txt"
if has interop; then echo "== interop"; wait; cat "$OUT/interop.txt"; fi
if has tests; then
  echo "== webgpu tests"
  GEMMA4_REQUIRE_WEBGPU=1 timeout 150 node --test dist/backends/webgpu/*.test.js > "$OUT/webgpu-tests.txt" 2>&1
  tail -12 "$OUT/webgpu-tests.txt"
fi

