#!/usr/bin/env bash
# Packs what bench/gpu-machine-run.sh needs on the GPU machine (no Node.js, no network there) into
# .device-carry (git-ignored, ~30 MB; name it in the device tool's `carry`): the Vulkan loader .debs,
# this machine's node, the node_modules the checks load, and a fresh build of dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
C=.device-carry
mkdir -p "$C/debs"
(cd "$C/debs" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
xz -T2 -6 -c "$(command -v node)" > "$C/node.xz"
(cd node_modules && tar cf - webgpu/index.js webgpu/package.json webgpu/types.d.ts webgpu/dist/linux-x64 \
  @huggingface/jinja @huggingface/tokenizers | xz -T2 -9 > "../$C/node_modules.tar.xz")
npm run build
tar cf - dist | xz -T2 -9 > "$C/dist.tar.xz"
du -sh "$C"
