/**
 * Workgroup sums without a barrier inside a loop: every thread parks its value, 16 threads each add a
 * strided sixteenth, one thread adds those. Two barriers, no unrolled barrier ladder: llvmpipe (CI's
 * software GPU) compiles a tree reduction's loop of barriers for seconds per shader, and on real GPUs the
 * cost is the same handful of shared-memory reads.
 */

/** WGSL declaring `reduceSum(v, lid) -> f32` over a workgroup of `threads`; every thread gets the total.
 *  Must be called in uniform control flow. `name` keeps two reductions in one shader apart. */
export function reduceSumWgsl(threads: number, name = "reduceSum"): string {
  return `
var<workgroup> ${name}Parts: array<f32, ${threads}>;
var<workgroup> ${name}Sixteenths: array<f32, 16>;
fn ${name}(v: f32, lid: u32) -> f32 {
  ${name}Parts[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var s = 0.0;
    for (var i = lid; i < ${threads}u; i += 16u) { s += ${name}Parts[i]; }
    ${name}Sixteenths[lid] = s;
  }
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < 16u; i++) { total += ${name}Sixteenths[i]; }
  workgroupBarrier();
  return total;
}
`;
}
