/** x [T, in] · wᵀ, w [out, in] in its stored dtype, decoded one row at a time. */
import { RefTensor, type RefWeight } from "./tensors.js";

export function matmul(x: RefTensor, w: RefWeight): RefTensor {
  const [outDim, inDim] = w.shape as [number, number];
  if (w.shape.length !== 2 || x.cols !== inDim) throw new Error(`matmul: x [${x.shape}] · w [${w.shape}]ᵀ do not fit`);
  const T = x.rows;
  const out = new Float32Array(T * outDim);
  const row = new Float32Array(inDim);
  const xs = x.data;
  for (let o = 0; o < outDim; o++) {
    w.decode(o * inDim, row);
    for (let t = 0; t < T; t++) {
      let sum = 0;
      const base = t * inDim;
      for (let i = 0; i < inDim; i++) sum += xs[base + i]! * row[i]!;
      out[t * outDim + o] = sum;
    }
  }
  return new RefTensor([T, outDim], out);
}

/** Rows `ids` of table [V, N], each value times `scale`. */
export function embed(table: RefWeight, ids: Int32Array, scale: number): RefTensor {
  const [V, N] = table.shape as [number, number];
  const out = new Float32Array(ids.length * N);
  const row = new Float32Array(N);
  const s = Math.fround(scale);
  ids.forEach((id, t) => {
    if (!(id >= 0 && id < V)) throw new RangeError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
    table.decode(id * N, row);
    for (let i = 0; i < N; i++) out[t * N + i] = row[i]! * s;
  });
  return new RefTensor([ids.length, N], out);
}
