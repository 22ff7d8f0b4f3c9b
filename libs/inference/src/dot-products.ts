/**
 * The one inner product kernel of the reference runtime (v2 `dense` and `matmul`): for r < rows
 * and c < cols,
 *
 *   y[yAt + r·cols + c] = bias[c] + Σ_{i<k} a[r·k + i] · b[bAt + c·cStride + i·iStride]
 *
 * (bias 0 without one): the rows of `a` (`[rows][k]`, row-major) against the columns `c` of `b`,
 * read with strides, so `b` is a dense layer's weights `[out][in]` (cStride k, iStride 1), a
 * transposed matmul operand `[n][k]` (the same) or a plain one `[k][n]` (cStride 1, iStride n).
 *
 * Why it is shaped so: V8 runs a loop of typed-array loads and double arithmetic well, so `a` and
 * two columns of `b` at a time are copied into Float64Arrays and four rows by two columns are
 * accumulated at once (8 independent sums: each loaded value is used 2 or 4 times, and no sum
 * waits on the one before); rows past the last multiple of 4 are done one at a time.
 *
 * INVARIANT: every product and partial sum, in any order, is an integer below 2^53 in magnitude,
 * so double arithmetic is exact whatever the order. The load bounds give it: dense
 * `|bias| + Σ|w|·max|x| ≤ 2^31 − 1` (analyze-model.ts), matmul `K·max|x|·max|s| ≤ 2^31 − 1`
 * (analyze-transformer.ts). The results are within int32, so stores into `y` are exact.
 */
export function dotProducts(
  a: Int32Array,
  rows: number,
  k: number,
  b: Int8Array | Int32Array,
  bAt: number,
  cStride: number,
  iStride: number,
  cols: number,
  bias: Int32Array | undefined,
  y: Int32Array,
  yAt: number,
): void {
  const x = new Float64Array(a.subarray(0, rows * k));
  // Columns c and c + 1 of b, as w[0..k) and w[k..2k) (zeros past the last column).
  const w = new Float64Array(2 * k);
  const full = rows - (rows % 4);
  for (let c = 0; c < cols; c += 2) {
    const pair = c + 1 < cols;
    const at0 = bAt + c * cStride;
    for (let i = 0; i < k; i++) w[i] = b[at0 + i * iStride];
    if (pair) for (let i = 0; i < k; i++) w[k + i] = b[at0 + cStride + i * iStride];
    else w.fill(0, k);
    const bias0 = bias === undefined ? 0 : bias[c];
    const bias1 = bias === undefined || !pair ? 0 : bias[c + 1];
    for (let r = 0; r < full; r += 4) {
      // (Plain declarations, not destructuring: this runs once per block of 8 sums.)
      const x0 = r * k;
      const x1 = x0 + k;
      const x2 = x1 + k;
      const x3 = x2 + k;
      let p0 = bias0;
      let p1 = bias0;
      let p2 = bias0;
      let p3 = bias0;
      let q0 = bias1;
      let q1 = bias1;
      let q2 = bias1;
      let q3 = bias1;
      for (let i = 0; i < k; i++) {
        const u = w[i];
        const v = w[k + i];
        let s = x[x0 + i];
        p0 += u * s;
        q0 += v * s;
        s = x[x1 + i];
        p1 += u * s;
        q1 += v * s;
        s = x[x2 + i];
        p2 += u * s;
        q2 += v * s;
        s = x[x3 + i];
        p3 += u * s;
        q3 += v * s;
      }
      const at = yAt + r * cols + c;
      y[at] = p0;
      y[at + cols] = p1;
      y[at + 2 * cols] = p2;
      y[at + 3 * cols] = p3;
      if (pair) {
        y[at + 1] = q0;
        y[at + cols + 1] = q1;
        y[at + 2 * cols + 1] = q2;
        y[at + 3 * cols + 1] = q3;
      }
    }
    for (let r = full; r < rows; r++) {
      const x0 = r * k;
      let p = bias0;
      let q = bias1;
      for (let i = 0; i < k; i++) {
        const s = x[x0 + i];
        p += w[i] * s;
        q += w[k + i] * s;
      }
      const at = yAt + r * cols + c;
      y[at] = p;
      if (pair) y[at + 1] = q;
    }
  }
}
