#!/bin/sh
# Builds make-ggml-vectors.c against ggml's own quantization code and writes the vectors.
#   usage: tools/ggml-vectors/make-ggml-vectors.sh LLAMA_CPP_SOURCE_DIR OUT.jsonl [EXTRA_CFLAGS]
# LLAMA_CPP_SOURCE_DIR: a checkout of the llama.cpp that node-llama-cpp 3.21.1 bundles, e.g.
#   npm install node-llama-cpp@3.21.1 && git clone node_modules/node-llama-cpp/llama/gitRelease.bundle llama.cpp
# The default build is plain x86-64 -O2 with -ffp-contract=off: the C source's float semantics, no FMA contraction.
set -eu
SRC="$1"; OUT="$2"; EXTRA="${3:-}"
G="$SRC/ggml"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CFLAGS="-O2 -std=c11 -ffp-contract=off $EXTRA -I$G/include -I$G/src -I$G/src/ggml-cpu"
gcc $CFLAGS -c "$G/src/ggml-quants.c" -o "$WORK/quants.o"
gcc $CFLAGS -c "$(dirname "$0")/make-ggml-vectors.c" -o "$WORK/main.o"
gcc "$WORK/main.o" "$WORK/quants.o" -lm -o "$WORK/make-ggml-vectors"
"$WORK/make-ggml-vectors" > "$OUT"
