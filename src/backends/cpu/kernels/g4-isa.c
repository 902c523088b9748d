/*
 * One instruction-set variant of the kernels: this file is compiled once per target (flags and G4_SUFFIX
 * from scripts/build-native.mjs / build-wasm.mjs), and exports one table, g4_kernels<suffix>.
 */
#include "g4-layout.c"
#include "g4-matmul.c"
#include "g4-elementwise.c"
#include "g4-attention.c"
#include "g4-sampling.c"

#if defined(__AVX512F__) && defined(__AVX512VNNI__)
#define G4_ISA_NAME "avx512-vnni"
#elif defined(__AVX2__)
#define G4_ISA_NAME "avx2"
#elif defined(__wasm_simd128__)
#define G4_ISA_NAME "wasm-simd128"
#elif defined(__ARM_NEON)
#define G4_ISA_NAME "neon"
#else
#define G4_ISA_NAME "generic"
#endif

const g4_kernels G4K(g4_kernels) = {
  G4_ISA_NAME,
  G4K(repack), G4K(dequant_rows), G4K(quantize_x), G4K(matmul), G4K(rmsnorm), G4K(rope), G4K(gated_act),
  G4K(binary), G4K(unary), G4K(kv_write), G4K(attention), G4K(attention_scratch), G4K(top_logits),
};
