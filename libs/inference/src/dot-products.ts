/** Two rows in one double: row 2p in the low lane, row 2p + 1 times 2^27 in the high lane. */
const LANE = 2 ** 27;
/**
 * The most a lane's sum may reach (in magnitude) before the lanes are taken apart: every packed
 * partial sum then stays below (2^26 − 1)·(2^27 + 1) < 2^53 (exact) and the low lane below
 * 2^26 = LANE / 2, so the lanes of a sum come apart exactly (the high lane: the sum / 2^27
 * rounded). A chunk of `max|a|·max|b|`-bounded products is summed so (max|b| taken as 128 for
 * int8 `b`): int8 activations and weights, all of k ≤ 4095 at once; int16 activations, 15 or more
 * steps at a time.
 */
export const PACKED_SUM_LIMIT = 2 ** 26 - 1;
/**
 * Fewer steps per chunk than this (short of all of k), and taking the lanes apart costs more than
 * packing saves.
 */
const MIN_CHUNK = 8;

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
 * waits on the one before); rows past the last multiple of 4 are done one at a time. Where the
 * values are small enough (`PACKED_SUM_LIMIT`: int8 weights with int8 or int16 activations), two
 * rows ride in one double, so each multiply-add does two of the products, and the sums are taken
 * apart every `chunk` steps.
 *
 * INVARIANT: every product and partial sum, in any order, is an integer below 2^53 in magnitude,
 * so double arithmetic is exact whatever the order. The load bounds give it: dense
 * `|bias| + Σ|w|·max|x| ≤ 2^31 − 1` (analyze-model.ts), matmul `K·max|x|·max|s| ≤ 2^31 − 1`
 * (analyze-transformer.ts); packed sums, `PACKED_SUM_LIMIT`. The results are within int32, so
 * stores into `y` are exact.
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
  const bAbs = b instanceof Int8Array ? 128 : maxAbs(b.subarray(bAt, bAt + k * cols));
  // Each lane's sum over `chunk` steps is at most chunk·max|a|·max|b| ≤ PACKED_SUM_LIMIT.
  const chunk = Math.min(k, Math.floor(PACKED_SUM_LIMIT / (maxAbs(x) * bAbs)));
  const packed = chunk >= Math.min(k, MIN_CHUNK) ? packRows(x, rows, k) : undefined;
  // Columns c and c + 1 of b, as w[0..k) and w[k..2k) (zeros past the last column).
  const w = new Float64Array(2 * k);
  for (let c = 0; c < cols; c += 2) {
    const pair = c + 1 < cols;
    for (let j = 0; j < 2; j++) {
      const from = bAt + (c + j) * cStride;
      // (A contiguous column converts in one `set`: a native loop, not a JIT one over two array types.)
      if (j === 1 && !pair) w.fill(0, k);
      else if (iStride === 1) w.set(b.subarray(from, from + k), j * k);
      else for (let i = 0; i < k; i++) w[j * k + i] = b[from + i * iStride];
    }
    const bias0 = bias === undefined ? 0 : bias[c];
    const bias1 = bias === undefined || !pair ? 0 : bias[c + 1];
    const at = yAt + c;
    if (packed !== undefined)
      // Sum p holds rows 2p and 2p + 1 (that one only when 2p + 1 < rows).
      columnPair(packed, Math.ceil(rows / 2), k, chunk, true, w, (p, lo0, hi0, lo1, hi1) => {
        const row = at + 2 * p * cols;
        y[row] = bias0 + lo0;
        if (pair) y[row + 1] = bias1 + lo1;
        if (2 * p + 1 < rows) {
          y[row + cols] = bias0 + hi0;
          if (pair) y[row + cols + 1] = bias1 + hi1;
        }
      });
    else
      columnPair(x, rows, k, k, false, w, (r, s0, _, s1) => {
        y[at + r * cols] = bias0 + s0;
        if (pair) y[at + r * cols + 1] = bias1 + s1;
      });
  }
}

function maxAbs(v: Float64Array | Int32Array): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]));
  return max;
}

/** Rows 2p and 2p + 1 of x as x[2p] + x[2p + 1]·2^27 (a last odd row with 0): exact below 2^53. */
function packRows(x: Float64Array, rows: number, k: number): Float64Array {
  const packed = new Float64Array(Math.ceil(rows / 2) * k);
  for (let r = 0; r < rows; r++) {
    const [to, lane] = [(r >> 1) * k, r & 1 ? LANE : 1];
    for (let i = 0; i < k; i++) packed[to + i] += lane * x[r * k + i];
  }
  return packed;
}

/** 1.5·2^52: v + ROUNDER − ROUNDER is v rounded to an integer (|v| < 2^51; ties to even). */
const ROUNDER = 1.5 * 2 ** 52;

/**
 * Σ_i x[r][i]·w[i] and Σ_i x[r][i]·w[k + i] for each of `rows` rows of x, to
 * `emit(r, lo0, hi0, lo1, hi1)`: four rows at a time, then one by one. The sums are taken over
 * runs of `chunk` steps and added up; with `lanes`, each run's sums are first taken apart into
 * their low and high lanes (s = lo + hi·2^27, |lo| < 2^26, so hi is s / 2^27 rounded: no ties);
 * without, the sums are the low lanes and the high ones are 0.
 */
function columnPair(
  x: Float64Array,
  rows: number,
  k: number,
  chunk: number,
  lanes: boolean,
  w: Float64Array,
  emit: (r: number, lo0: number, hi0: number, lo1: number, hi1: number) => void,
): void {
  // The 4 rows' sums of column 0, then of column 1: one run's, then their lanes' running totals.
  const [sums, lo, hi] = [new Float64Array(8), new Float64Array(8), new Float64Array(8)];
  const add = (n: number) => {
    for (let j = 0; j < n; j++) {
      const h = lanes ? sums[j] / LANE + ROUNDER - ROUNDER : 0;
      lo[j] += sums[j] - h * LANE;
      hi[j] += h;
    }
  };
  const full = rows - (rows % 4);
  for (let r = 0; r < full; r += 4) {
    lo.fill(0);
    hi.fill(0);
    for (let start = 0; start < k; start += chunk) {
      // (Plain declarations, not destructuring: this runs once per block of 8 sums.)
      const end = Math.min(k, start + chunk);
      const x0 = r * k;
      const x1 = x0 + k;
      const x2 = x1 + k;
      const x3 = x2 + k;
      let p0 = 0;
      let p1 = 0;
      let p2 = 0;
      let p3 = 0;
      let q0 = 0;
      let q1 = 0;
      let q2 = 0;
      let q3 = 0;
      for (let i = start; i < end; i++) {
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
      sums[0] = p0;
      sums[1] = p1;
      sums[2] = p2;
      sums[3] = p3;
      sums[4] = q0;
      sums[5] = q1;
      sums[6] = q2;
      sums[7] = q3;
      add(8);
    }
    for (let j = 0; j < 4; j++) emit(r + j, lo[j], hi[j], lo[4 + j], hi[4 + j]);
  }
  for (let r = full; r < rows; r++) {
    lo.fill(0);
    hi.fill(0);
    for (let start = 0; start < k; start += chunk) {
      const end = Math.min(k, start + chunk);
      const x0 = r * k;
      let p = 0;
      let q = 0;
      for (let i = start; i < end; i++) {
        const s = x[x0 + i];
        p += w[i] * s;
        q += w[k + i] * s;
      }
      sums[0] = p;
      sums[1] = q;
      add(2);
    }
    emit(r, lo[0], hi[0], lo[1], hi[1]);
  }
}
