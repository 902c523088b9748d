#!/bin/sh
# Installs what the WebGPU tests need on Debian bookworm without a GPU (CI, developer machines):
# Mesa's software Vulkan driver (llvmpipe) from bookworm-backports (bookworm's own Mesa 22.3 is too old for
# Dawn: it refuses the adapter) and Debian's Chromium for the browser test (WebGPU on its SwiftShader).
# Run as root. See shared/docs/gpu.md.
set -eu
echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/backports.list
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1
DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
