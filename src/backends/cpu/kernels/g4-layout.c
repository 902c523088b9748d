/*
 * The lane layout of quantized weights (see g4.h): in-place rearrangement of ggml blocks at upload, the
 * inverse (dequantizing rows, for embeddings and tests), and the quantization of activations to int8 rows
 * in the same groups. Scalar code: it runs once per weight, or on one row per token.
 *
 * ggml block layouts (ggml-common.h), one row of K values:
 *   Q8_0 34 B: f16 d, int8 q[32]                       x = d·q
 *   Q4_0 18 B: f16 d, u8 qs[16] (lo: j, hi: j+16)      x = d·(q − 8)
 *   Q4_1 20 B: f16 d, f16 m, qs[16]                    x = d·q + m
 *   Q5_0 22 B: f16 d, u32 qh (bit j: 5th bit of j), qs[16]   x = d·(q − 16)
 *   Q5_1 24 B: f16 d, f16 m, u32 qh, qs[16]            x = d·q + m
 *   Q4_K 144 B per 256: f16 d, f16 dmin, u8 scales[12] (6-bit sc, m of 8 sub-blocks), qs[128]
 *        (qs[32j + i]: lo = value 64j + i, hi = value 64j + 32 + i); x = d·sc·q − dmin·m
 *   Q6_K 210 B per 256: ql[128], qh[64], int8 scales[16], f16 d; x = d·sc[i/16]·(q − 32)
 *
 * Lane layout (per row): the quant region of all groups, then the per-block (or per-super-block) data:
 *   Q8_0: chunks as u8 (q + 128, so that unsigned×signed dot products apply), then d[nb]
 *   Q4_0/Q4_1: 4 nibble vectors per group, then d[nb] (and m[nb])
 *   Q5_0/Q5_1: 4 nibble vectors + one u32 per lane whose bit (c + 8b) is the 5th bit of value 4c + b,
 *              then d[nb] (and m[nb])
 *   Q4_K: 4 nibble vectors per group (lane = sub-block of 32), then per super-block {d, dmin, scales[12]}
 *   Q6_K: 4 nibble vectors + 2 vectors of 2-bit high parts (vector k, byte 4l+b, bits 2j..2j+1: value
 *         4(4k + j) + b), then per super-block {scales[16], d}
 */
#include "g4.h"

#define memcpy __builtin_memcpy /* freestanding: the WebAssembly build has no libc */

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static inline void wr32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }

/* Bytes of one row in the file (and in the lane layout). */
static size_t row_bytes(int type, int K) {
  switch (type) {
    case G4_Q8_0: return (size_t)K / 32 * 34;
    case G4_Q4_0: return (size_t)K / 32 * 18;
    case G4_Q4_1: return (size_t)K / 32 * 20;
    case G4_Q5_0: return (size_t)K / 32 * 22;
    case G4_Q5_1: return (size_t)K / 32 * 24;
    case G4_Q4_K: return (size_t)K / 256 * 144;
    case G4_Q6_K: return (size_t)K / 256 * 210;
    default: return 0;
  }
}

/* Quant bytes per 32-value lane in the group region. */
static int lane_bytes(int type) {
  switch (type) {
    case G4_Q8_0: return 32;
    case G4_Q4_0: case G4_Q4_1: case G4_Q4_K: return 16;
    case G4_Q5_0: case G4_Q5_1: return 20;
    case G4_Q6_K: return 24;
    default: return 0;
  }
}

/* Where the 32 quants of `block` go: group base and lane, given nb lanes per row. */
static inline void lane_of(int block, int nb, int lb, size_t *groupOffset, int *lane, int *g) {
  int b0 = block & ~15;
  *g = nb - b0 < 16 ? nb - b0 : 16;
  *lane = block - b0;
  *groupOffset = (size_t)b0 * (size_t)lb;
}

/* Writes the 32 unsigned quants q[0..31] (nibble formats: 0..15; Q8_0: 0..255; Q6_K: 0..63) of lane `l`
 * of a group of g lanes at `grp`, plus the 5th bits for Q5 formats. */
static void put_lane(int type, uint8_t *grp, int g, int l, const uint8_t *q) {
  if (type == G4_Q8_0) {
    for (int c = 0; c < 8; c++) memcpy(grp + (size_t)c * 4 * g + 4 * l, q + 4 * c, 4);
    return;
  }
  for (int v = 0; v < 4; v++)
    for (int b = 0; b < 4; b++) grp[(size_t)v * 4 * g + 4 * l + b] = (uint8_t)((q[4 * v + b] & 15) | ((q[16 + 4 * v + b] & 15) << 4));
  if (type == G4_Q5_0 || type == G4_Q5_1) {
    uint32_t h = 0;
    for (int c = 0; c < 8; c++)
      for (int b = 0; b < 4; b++) h |= (uint32_t)((q[4 * c + b] >> 4) & 1) << (c + 8 * b);
    wr32(grp + (size_t)16 * g + 4 * l, h);
  } else if (type == G4_Q6_K) {
    for (int k = 0; k < 2; k++)
      for (int b = 0; b < 4; b++) {
        uint8_t hv = 0;
        for (int j = 0; j < 4; j++) hv |= (uint8_t)(((q[4 * (4 * k + j) + b] >> 4) & 3) << (2 * j));
        grp[(size_t)16 * g + (size_t)k * 4 * g + 4 * l + b] = hv;
      }
  }
}

static void get_lane(int type, const uint8_t *grp, int g, int l, uint8_t *q) {
  if (type == G4_Q8_0) {
    for (int c = 0; c < 8; c++) memcpy(q + 4 * c, grp + (size_t)c * 4 * g + 4 * l, 4);
    return;
  }
  for (int v = 0; v < 4; v++)
    for (int b = 0; b < 4; b++) {
      uint8_t byte = grp[(size_t)v * 4 * g + 4 * l + b];
      q[4 * v + b] = byte & 15;
      q[16 + 4 * v + b] = byte >> 4;
    }
  if (type == G4_Q5_0 || type == G4_Q5_1) {
    uint32_t h = rd32(grp + (size_t)16 * g + 4 * l);
    for (int c = 0; c < 8; c++)
      for (int b = 0; b < 4; b++) q[4 * c + b] |= (uint8_t)(((h >> (c + 8 * b)) & 1) << 4);
  } else if (type == G4_Q6_K) {
    for (int k = 0; k < 2; k++)
      for (int b = 0; b < 4; b++) {
        uint8_t hv = grp[(size_t)16 * g + (size_t)k * 4 * g + 4 * l + b];
        for (int j = 0; j < 4; j++) q[4 * (4 * k + j) + b] |= (uint8_t)(((hv >> (2 * j)) & 3) << 4);
      }
  }
}

/* Unsigned quants of ggml block(s) for lane (32 values) `lane` of a file row. */
static void file_lane(int type, const uint8_t *row, int lane, uint8_t *q) {
  switch (type) {
    case G4_Q8_0: {
      const uint8_t *blk = row + (size_t)lane * 34 + 2;
      for (int i = 0; i < 32; i++) q[i] = (uint8_t)(blk[i] ^ 0x80);
      return;
    }
    case G4_Q4_0: case G4_Q4_1: {
      const uint8_t *qs = row + (size_t)lane * (type == G4_Q4_0 ? 18 : 20) + (type == G4_Q4_0 ? 2 : 4);
      for (int j = 0; j < 16; j++) { q[j] = qs[j] & 15; q[j + 16] = qs[j] >> 4; }
      return;
    }
    case G4_Q5_0: case G4_Q5_1: {
      const uint8_t *blk = row + (size_t)lane * (type == G4_Q5_0 ? 22 : 24);
      const uint8_t *qhp = blk + (type == G4_Q5_0 ? 2 : 4);
      uint32_t qh = rd32(qhp);
      const uint8_t *qs = qhp + 4;
      for (int j = 0; j < 16; j++) {
        q[j] = (uint8_t)((qs[j] & 15) | (((qh >> j) & 1) << 4));
        q[j + 16] = (uint8_t)((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
      }
      return;
    }
    case G4_Q4_K: {
      const uint8_t *sb = row + (size_t)(lane / 8) * 144;
      int s = lane % 8; /* sub-block */
      const uint8_t *qs = sb + 16 + 32 * (s / 2);
      for (int i = 0; i < 32; i++) q[i] = (s & 1) ? (qs[i] >> 4) : (qs[i] & 15);
      return;
    }
    case G4_Q6_K: {
      const uint8_t *sb = row + (size_t)(lane / 8) * 210;
      int s = lane % 8;              /* values 32s .. 32s+31 of the super-block */
      int half = s / 4, part = s % 4; /* 128-value half, and which of its 4 32-value parts */
      const uint8_t *ql = sb + 64 * half, *qh = sb + 128 + 32 * half;
      for (int l = 0; l < 32; l++) {
        int lo = part == 0 ? (ql[l] & 15) : part == 1 ? (ql[l + 32] & 15) : part == 2 ? (ql[l] >> 4) : (ql[l + 32] >> 4);
        int hi = (qh[l] >> (2 * part)) & 3;
        q[l] = (uint8_t)(lo | (hi << 4));
      }
      return;
    }
    default: return;
  }
}

static int lanes_per_row(int type, int K) {
  (void)type;
  return K / 32;
}

/* Per-block (or per-super-block) data that follows the quant region, in file order. */
static void copy_tail(int type, const uint8_t *src, uint8_t *dst, int K) {
  int nb = K / 32;
  switch (type) {
    case G4_Q8_0: for (int b = 0; b < nb; b++) memcpy(dst + 2 * b, src + 34 * b, 2); break;
    case G4_Q4_0: for (int b = 0; b < nb; b++) memcpy(dst + 2 * b, src + 18 * b, 2); break;
    case G4_Q5_0: for (int b = 0; b < nb; b++) memcpy(dst + 2 * b, src + 22 * b, 2); break;
    case G4_Q4_1: case G4_Q5_1: {
      int bb = type == G4_Q4_1 ? 20 : 24;
      for (int b = 0; b < nb; b++) { memcpy(dst + 2 * b, src + bb * b, 2); memcpy(dst + 2 * nb + 2 * b, src + bb * b + 2, 2); }
      break;
    }
    case G4_Q4_K: for (int s = 0; s < K / 256; s++) memcpy(dst + 16 * s, src + 144 * s, 16); break;
    case G4_Q6_K: for (int s = 0; s < K / 256; s++) memcpy(dst + 18 * s, src + 210 * s + 192, 18); break;
    default: break;
  }
}

static void G4K(repack)(int type, uint8_t *data, int rows, int K, uint8_t *scratch) {
  size_t rb = row_bytes(type, K);
  if (!rb) return; /* float types are used as stored */
  int nb = lanes_per_row(type, K), lb = lane_bytes(type);
  uint8_t q[32];
  for (int r = 0; r < rows; r++) {
    uint8_t *row = data + (size_t)r * rb;
    memcpy(scratch, row, rb);
    for (int b = 0; b < nb; b++) {
      size_t go; int l, g;
      lane_of(b, nb, lb, &go, &l, &g);
      file_lane(type, scratch, b, q);
      put_lane(type, row + go, g, l, q);
    }
    copy_tail(type, scratch, row + (size_t)nb * lb, K);
  }
}

/* 6-bit scale and min of sub-block j of a Q4_K super-block (ggml get_scale_min_k4). */
static inline void q4k_scale_min(int j, const uint8_t *s, int *sc, int *m) {
  if (j < 4) { *sc = s[j] & 63; *m = s[j + 4] & 63; }
  else { *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4); *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
}

static void G4K(dequant_rows)(int type, const uint8_t *w, int K, int row0, int count, float *out, float scale) {
  for (int r = 0; r < count; r++) {
    float *o = out + (size_t)r * K;
    int row = row0 + r;
    switch (type) {
      case G4_F32: { const float *src = (const float *)w + (size_t)row * K; for (int i = 0; i < K; i++) o[i] = src[i] * scale; continue; }
      case G4_F16: { const uint16_t *src = (const uint16_t *)w + (size_t)row * K; for (int i = 0; i < K; i++) o[i] = g4_f16_to_f32(src[i]) * scale; continue; }
      case G4_BF16: { const uint16_t *src = (const uint16_t *)w + (size_t)row * K; for (int i = 0; i < K; i++) o[i] = g4_bf16_to_f32(src[i]) * scale; continue; }
      default: break;
    }
    int nb = K / 32, lb = lane_bytes(type);
    const uint8_t *rowp = w + (size_t)row * row_bytes(type, K);
    const uint8_t *tail = rowp + (size_t)nb * lb;
    uint8_t q[32];
    for (int b = 0; b < nb; b++) {
      size_t go; int l, g;
      lane_of(b, nb, lb, &go, &l, &g);
      get_lane(type, rowp + go, g, l, q);
      float *ob = o + 32 * b;
      switch (type) {
        case G4_Q8_0: { float d = g4_f16_to_f32(rd16(tail + 2 * b)); for (int i = 0; i < 32; i++) ob[i] = (float)((int)q[i] - 128) * d * scale; break; }
        case G4_Q4_0: { float d = g4_f16_to_f32(rd16(tail + 2 * b)); for (int i = 0; i < 32; i++) ob[i] = (float)((int)q[i] - 8) * d * scale; break; }
        case G4_Q5_0: { float d = g4_f16_to_f32(rd16(tail + 2 * b)); for (int i = 0; i < 32; i++) ob[i] = (float)((int)q[i] - 16) * d * scale; break; }
        case G4_Q4_1: case G4_Q5_1: {
          float d = g4_f16_to_f32(rd16(tail + 2 * b)), m = g4_f16_to_f32(rd16(tail + 2 * nb + 2 * b));
          for (int i = 0; i < 32; i++) ob[i] = ((float)q[i] * d + m) * scale;
          break;
        }
        case G4_Q4_K: {
          const uint8_t *sb = tail + 16 * (b / 8);
          int sc, m;
          q4k_scale_min(b % 8, sb + 4, &sc, &m);
          float d = g4_f16_to_f32(rd16(sb)) * (float)sc, mm = g4_f16_to_f32(rd16(sb + 2)) * (float)m;
          for (int i = 0; i < 32; i++) ob[i] = (d * (float)q[i] - mm) * scale;
          break;
        }
        case G4_Q6_K: {
          const uint8_t *sb = tail + 18 * (b / 8);
          float d = g4_f16_to_f32(rd16(sb + 16));
          for (int i = 0; i < 32; i++) {
            int8_t sc = (int8_t)sb[2 * (b % 8) + i / 16];
            ob[i] = d * (float)sc * (float)((int)q[i] - 32) * scale;
          }
          break;
        }
        default: break;
      }
    }
  }
}

/* Rounds to nearest, ties to even (what cvtps2dq and f32.nearest do). */
static inline int round_even(float v) {
  return (int)__builtin_rintf(v);
}

static void G4K(quantize_x)(const float *x, int T, int K, uint8_t *qx) {
  int nb = K / 32;
  size_t rowb = g4_qx_row_bytes(K);
  for (int t = 0; t < T; t++) {
    const float *xr = x + (size_t)t * K;
    uint8_t *qr = qx + (size_t)t * rowb;
    for (int b0 = 0; b0 < nb; b0 += 16) {
      int g = nb - b0 < 16 ? nb - b0 : 16;
      int8_t *chunks = (int8_t *)(qr + (size_t)44 * b0);
      float *dvec = (float *)(qr + (size_t)44 * b0 + 32 * g);
      int32_t *sumA = (int32_t *)(dvec + g), *sumB = sumA + g;
      for (int l = 0; l < g; l++) {
        const float *xb = xr + 32 * (b0 + l);
        float amax = 0;
        for (int i = 0; i < 32; i++) { float a = xb[i] < 0 ? -xb[i] : xb[i]; amax = a > amax ? a : amax; }
        float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
        int sa = 0, sb = 0;
        for (int i = 0; i < 32; i++) {
          int v = round_even(xb[i] * id);
          v = v > 127 ? 127 : v < -127 ? -127 : v;
          chunks[(size_t)(i / 4) * 4 * g + 4 * l + (i % 4)] = (int8_t)v;
          if (i < 16) sa += v; else sb += v;
        }
        dvec[l] = d;
        sumA[l] = sa;
        sumB[l] = sb;
      }
    }
  }
}
