import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f, Harness, P, rangeWitness } from './template-harness.spec-helper';

// Independent references of the doc's integer rules (docs/model-format.md, format v2), in BigInt.
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const isqrt = (m: bigint) => {
  let r = 0n;
  while ((r + 1n) * (r + 1n) <= m) r++;
  return r;
};
const softmaxRow = (x: bigint[], k: number, table: bigint[]) => {
  const mx = x.reduce((a, b) => (a > b ? a : b));
  const e = x.map((v) => {
    const d = mx - v;
    const z = d >> BigInt(k);
    const p = d & ((1n << BigInt(k)) - 1n);
    return z <= 15n ? table[Number(p)] >> z : 0n;
  });
  const s = e.reduce((a, b) => a + b);
  return { mx, e, s, y: e.map((v) => (510n * v + s) / (2n * s)) };
};
/** A norm row's IsqrtOf (R_BITS 8, D_BITS 9) holding `forged` as the root of m: the wires that change. */
const forgedRoot = (forged: bigint, m: bigint): Record<string, bigint> => {
  const rr = forged * forged;
  return {
    'row.root.r|row.r': forged,
    'row.root.rr': rr,
    ...rangeWitness('row.root.rRange', forged, 8),
    ...rangeWitness('row.root.low', m - rr, 9),
    ...rangeWitness('row.root.high', rr + 2n * forged - m, 9),
  };
};
const TABLE = [32768, 29622, 26781, 24209, 21886, 19786, 17886, 16170].map(BigInt);

describe('transformer templates under forged witnesses', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-transformer-templates-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const compile = (name: string, body: string) => Harness.compile(dir, name, body, true);

  it('ClampSat: a saturated value cannot pass unclamped, an in-range one cannot be clamped', async () => {
    const h = await compile('sat', 'component main = ClampSat(-128, 127, 8, 12);');
    for (const [t, y] of [
      [200, 127],
      [-300, -128],
      [5, 5],
      [127, 127],
      [-128, -128],
    ] as const) {
      const w = await h.witness({ t });
      expect(h.value(w, 'y')).toBe(f(y));
      expect(h.satisfied(w)).toBe(true);
      expect(h.freeWires(w)).toEqual([]);
    }
    const w = await h.witness({ t: 200 });
    // "not above": y = t, out of the int8 range.
    expect(h.satisfied(w, { b: 0, pb: 0, y: 200, ...rangeWitness('yRange', 200n + 128n, 8) })).toBe(false);
    const mid = await h.witness({ t: 5 });
    // "below" for a value in range: y = LO, c = LO - 1 - t < 0.
    expect(
      h.satisfied(mid, {
        a: 1,
        pa: -133,
        y: -128,
        ...rangeWitness('yRange', 0n, 8),
        ...rangeWitness('cRange', -134n, 12),
      }),
    ).toBe(false);
    // Both flags.
    expect(h.satisfied(w, { a: 1, pa: -328, y: -201, ...rangeWitness('cRange', -257n, 12) })).toBe(false);
  });

  it('OneHot: the selected index is the token id, and an id past the vocabulary has none', async () => {
    const h = await compile('onehot', 'component main = OneHot(5);');
    const w = await h.witness({ idx: 3 });
    expect([0, 1, 2, 3, 4].map((v) => h.value(w, `s[${v}]`))).toEqual([0n, 0n, 0n, 1n, 0n]);
    expect(h.satisfied(w)).toBe(true);
    expect(h.freeWires(w)).toEqual([]);
    expect(h.satisfied(w, { 's[3]': 0, 's[4]': 1 })).toBe(false); // another row
    expect(h.satisfied(w, { 's[3]': 0, 's[1]': (P + 1n) / 2n, 's[2]': (P + 1n) / 2n })).toBe(false);
    await expect(h.witness({ idx: 5 })).rejects.toThrow(/No witness|Assert/);
    await expect(h.witness({ idx: -1 })).rejects.toThrow(/No witness|Assert/);
  });

  it('RmsNormRow: the root is the exact floor square root and each quotient the rounded one', async () => {
    // D = 3 (not a power of two: the mean's remainder needs its upper check), weights int32.
    const w = [100, -2000, 7];
    const body = `template Row() {
      signal input x[3];
      signal output y[3];
      var w[3] = [${w}];
      component row = RmsNormRow(3, w, 5, 15, 2, 8, 9, 9, -300000);
      for (var j = 0; j < 3; j++) { row.x[j] <== x[j]; }
      component clamp[3];
      for (var j = 0; j < 3; j++) { clamp[j] = ClampSat(-128, 127, 8, 20); clamp[j].t <== row.q[j]; y[j] <== clamp[j].y; }
    }
    component main = Row();`;
    const h = await compile('rms', body);
    const x = [90n, -17n, 4n];
    const sum = x.reduce((a, v) => a + v * v, 0n);
    const m = sum / 3n + 5n;
    const r = isqrt(m);
    const q = x.map((v, j) => floorDiv(2n * v * BigInt(w[j]) + r, 2n * r));
    const wit = await h.witness({ x });
    expect(h.value(wit, 'row.root.r|row.r')).toBe(r);
    expect([0, 1, 2].map((j) => h.value(wit, `row.q[${j}]|clamp[${j}].t`))).toEqual(q.map(f));
    expect([0, 1, 2].map((j) => h.value(wit, `y[${j}]`))).toEqual(
      q.map((v) => f(v > 127n ? 127n : v < -128n ? -128n : v)),
    );
    expect(h.satisfied(wit)).toBe(true);
    expect(h.freeWires(wit)).toEqual([]);
    // A wrong root, everything that depends on it recomputed: r² <= m or m < (r + 1)² fails.
    for (const forged of [r - 1n, r + 1n]) {
      const changes = forgedRoot(forged, m);
      x.forEach((v, j) => {
        const num = 2n * v * BigInt(w[j]) + forged;
        const qj = floorDiv(num, 2n * forged);
        Object.assign(changes, {
          [`row.q[${j}]|clamp[${j}].t`]: qj,
          [`row.qr[${j}]`]: qj * forged,
          ...rangeWitness(`row.remLow[${j}]`, num - 2n * qj * forged, 9),
          ...rangeWitness(`row.remHigh[${j}]`, 2n * forged - 1n - (num - 2n * qj * forged), 9),
        });
      });
      expect(h.satisfied(wit, changes)).toBe(false);
    }
    // A wrong mean (floor(sum / 3) + 1): its remainder goes negative.
    expect(
      h.satisfied(wit, {
        'row.mq': sum / 3n + 1n,
        ...rangeWitness('row.mqRange', sum / 3n + 1n, 15),
        ...rangeWitness('row.mrRange', (sum % 3n) - 3n, 2),
      }),
    ).toBe(false);
    // Wrong rounding of q[2] (unclamped: 2·4·7 + r over 2r), either way.
    const num = 2n * x[2] * BigInt(w[2]) + r;
    for (const d of [1n, -1n]) {
      const qj = q[2] + d;
      expect(
        h.satisfied(wit, {
          'row.q[2]|clamp[2].t': qj,
          'row.qr[2]': qj * r,
          ...rangeWitness('row.remLow[2]', num - 2n * qj * r, 9),
          ...rangeWitness('row.remHigh[2]', 2n * r - 1n - (num - 2n * qj * r), 9),
          'clamp[2].y|y[2]': qj,
          ...rangeWitness('clamp[2].yRange', qj + 128n, 8),
        }),
      ).toBe(false);
    }
  });

  it('LayerNormRow: the centring, the variance quotient, the root and each rounded quotient are pinned', async () => {
    // D = 3: D² = 9 is not a power of two (the variance's remainder needs its upper check).
    const [w, b, eps] = [[100, -2000, 7], [5, -3, 40], 5n];
    const body = `template Row() {
      signal input x[3];
      signal output y[3];
      var w[3] = [${w}];
      var b[3] = [${b}];
      component row = LayerNormRow(3, w, b, 5, 15, 4, 8, 9, 10, -510001);
      for (var j = 0; j < 3; j++) { row.x[j] <== x[j]; }
      component clamp[3];
      for (var j = 0; j < 3; j++) { clamp[j] = ClampSat(-128, 127, 8, 20); clamp[j].t <== row.out[j]; y[j] <== clamp[j].y; }
    }
    component main = Row();`;
    const h = await compile('layernorm', body);
    const x = [90n, -17n, 4n];
    const s = x.reduce((a, v) => a + v, 0n);
    const c = x.map((v) => 3n * v - s);
    // The doc's definition: ⌊Σ c² / D³⌋ (the template computes (D·Σx² − s²) / D²: the same floor).
    const sumC2 = c.reduce((a, v) => a + v * v, 0n);
    const v = 3n * x.reduce((a, t) => a + t * t, 0n) - s * s;
    const m = sumC2 / 27n + eps;
    const r = isqrt(m);
    const q = c.map((cj, j) => floorDiv(2n * cj * BigInt(w[j]) + 3n * r, 6n * r));
    const out = q.map((qj, j) => qj + BigInt(b[j]));
    const wit = await h.witness({ x });
    expect(h.value(wit, 'row.mq')).toBe(m - eps);
    expect(h.value(wit, 'row.root.r|row.r')).toBe(r);
    expect([0, 1, 2].map((j) => h.value(wit, `row.out[${j}]|clamp[${j}].t`))).toEqual(out.map(f));
    expect([0, 1, 2].map((j) => h.value(wit, `y[${j}]`))).toEqual(
      out.map((o) => f(o > 127n ? 127n : o < -128n ? -128n : o)),
    );
    expect(h.satisfied(wit)).toBe(true);
    expect(h.freeWires(wit)).toEqual([]);
    // Wrong mean handling: the uncentred mean square ⌊Σx² / D⌋ (rmsnorm's), or the variance + 1:
    // D·Σx² − s² = mq·D² + mr then needs a negative remainder.
    for (const forged of [x.reduce((a, t) => a + t * t, 0n) / 3n, v / 9n + 1n]) {
      const mr = v - forged * 9n;
      expect(mr < 0n).toBe(true);
      expect(
        h.satisfied(wit, {
          'row.mq': forged,
          ...rangeWitness('row.mqRange', forged, 15),
          ...rangeWitness('row.mrRange', mr, 4),
          ...rangeWitness('row.mrBelow', 8n - mr, 4),
        }),
      ).toBe(false);
    }
    // A wrong root, everything that depends on it recomputed: r² <= m or m < (r + 1)² fails.
    for (const forged of [r - 1n, r + 1n]) {
      const changes = forgedRoot(forged, m);
      c.forEach((cj, j) => {
        const num = 2n * cj * BigInt(w[j]) + 3n * forged;
        const qj = floorDiv(num, 6n * forged);
        Object.assign(changes, {
          [`row.q[${j}]`]: qj,
          [`row.out[${j}]|clamp[${j}].t`]: qj + BigInt(b[j]),
          [`row.qr[${j}]`]: qj * forged,
          ...rangeWitness(`row.remLow[${j}]`, num - 6n * qj * forged, 10),
          ...rangeWitness(`row.remHigh[${j}]`, 6n * forged - 1n - (num - 6n * qj * forged), 10),
        });
      });
      expect(h.satisfied(wit, changes)).toBe(false);
    }
    // Wrong rounding of q[2] (unclamped: out[2] = q[2] + 40), either way.
    const num = 2n * c[2] * BigInt(w[2]) + 3n * r;
    expect(out[2] > -128n && out[2] < 127n).toBe(true);
    for (const d of [1n, -1n]) {
      const qj = q[2] + d;
      expect(
        h.satisfied(wit, {
          'row.q[2]': qj,
          'row.out[2]|clamp[2].t': qj + 40n,
          'row.qr[2]': qj * r,
          ...rangeWitness('row.remLow[2]', num - 6n * qj * r, 10),
          ...rangeWitness('row.remHigh[2]', 6n * r - 1n - (num - 6n * qj * r), 10),
          'clamp[2].y|y[2]': qj + 40n,
          ...rangeWitness('clamp[2].yRange', qj + 40n + 128n, 8),
        }),
      ).toBe(false);
    }
  });

  it('SoftmaxRow: maximum, table index, shift and normalisation are pinned', async () => {
    // d has 9 bits (int8 interval wider than 256), k = 3: z up to 63, so z >= 16 zeroes e.
    const tab = `[${TABLE}]`;
    const body = `template Row() {
      signal input x[5];
      signal output y[5];
      var tab[8] = ${tab};
      component row = SoftmaxRow(5, 9, 3, tab, 16, 20);
      for (var c = 0; c < 5; c++) { row.x[c] <== x[c]; }
      for (var c = 0; c < 5; c++) { y[c] <== row.y[c]; }
    }
    component main = Row();`;
    const h = await compile('softmax', body);
    const x = [100n, 95n, -128n, 99n, 30n]; // d = 0, 5, 228 (z = 28), 1, 70 (z = 8)
    const ref = softmaxRow(x, 3, TABLE);
    const wit = await h.witness({ x });
    expect(h.value(wit, 'row.mx')).toBe(ref.mx);
    expect([0, 1, 2, 3, 4].map((c) => h.value(wit, `row.e[${c}]`))).toEqual(ref.e);
    expect([0, 1, 2, 3, 4].map((c) => h.value(wit, `y[${c}]`))).toEqual(ref.y);
    expect(h.satisfied(wit)).toBe(true);
    expect(h.freeWires(wit)).toEqual([]);

    // A maximum that is no element (mx + 1, every difference's bits recomputed): Π (mx - x) ≠ 0.
    const changes: Record<string, bigint> = { 'row.mx': ref.mx + 1n };
    let prod = 1n;
    x.forEach((v, c) => {
      Object.assign(changes, rangeWitness(`row.dBits[${c}]`, ref.mx + 1n - v, 9, true));
      prod = (prod * (ref.mx + 1n - v)) % P;
      changes[`?row.prod[${c}]`] = prod;
    });
    expect(h.satisfied(wit, changes)).toBe(false);
    // A smaller element as the maximum: a difference goes negative.
    expect(
      h.satisfied(wit, {
        'row.mx': 99n,
        ...rangeWitness('row.dBits[3]', 0n, 9, true),
        ...rangeWitness('row.dBits[0]', -1n, 9, true),
      }),
    ).toBe(false);

    // A shifted table index: column 1 (d = 5, p = 5) reads table[6].
    expect(h.satisfied(wit, { 'row.mux[1][2]': TABLE[6] })).toBe(false);
    // A wrong floor shift: column 4 (d = 70: p = 6, z = 8), e0 one more or less.
    const t4 = TABLE[6];
    const pow = 256n;
    for (const e0 of [(t4 >> 8n) + 1n, (t4 >> 8n) - 1n]) {
      const rem = t4 - e0 * pow;
      expect(
        h.satisfied(wit, {
          'row.e0[4]': e0,
          'row.e0p[4]': e0 * pow,
          'row.e[4]': e0,
          ...rangeWitness('row.eRange[4]', e0, 16),
          ...rangeWitness('row.remLow[4]', rem, 15),
          ...rangeWitness('row.remHigh[4]', pow - 1n - rem, 15),
        }),
      ).toBe(false);
    }
    // A column past z = 15 (column 2: z = 28) keeping its shifted value instead of 0.
    expect(h.satisfied(wit, { 'row.e[2]': 1n })).toBe(false);

    // Wrong normalisation: y[0] one more or one less, its remainder recomputed.
    const num = 510n * ref.e[0] + ref.s;
    for (const y of [ref.y[0] + 1n, ref.y[0] - 1n]) {
      const rem = num - 2n * y * ref.s;
      expect(
        h.satisfied(wit, {
          'y[0]|row.y[0]': y,
          'row.ys[0]': y * ref.s,
          ...rangeWitness('row.yRange[0]', y, 8),
          ...rangeWitness('row.rLow[0]', rem, 20),
          ...rangeWitness('row.rHigh[0]', 2n * ref.s - 1n - rem, 20),
        }),
      ).toBe(false);
    }
  });

  it('SoftmaxRow: rows whose differences all fit the fractional bits (no shift) and a single column', async () => {
    const body = (v: number, dBits: number) => `template Row() {
      signal input x[${v}];
      signal output y[${v}];
      var tab[8] = [${TABLE}];
      component row = SoftmaxRow(${v}, ${dBits}, 3, tab, 16, 20);
      for (var c = 0; c < ${v}; c++) { row.x[c] <== x[c]; }
      for (var c = 0; c < ${v}; c++) { y[c] <== row.y[c]; }
    }
    component main = Row();`;
    const narrow = await compile('softmax-narrow', body(3, 2));
    const x = [3n, 1n, 2n];
    const wit = await narrow.witness({ x });
    expect([0, 1, 2].map((c) => narrow.value(wit, `y[${c}]`))).toEqual(softmaxRow(x, 3, TABLE).y);
    expect(narrow.freeWires(wit)).toEqual([]);
    const one = await compile('softmax-one', body(1, 8));
    const single = await one.witness({ x: [-7] });
    expect(one.value(single, 'y[0]')).toBe(255n);
    expect(one.freeWires(single)).toEqual([]);
  });

  it('PolyGateProduct: x·g(x) with the sign and the clip pinned', async () => {
    const [clip, a, b, bias] = [50n, -3n, 100n, 7n];
    const h = await compile(
      'poly',
      `component main = PolyGateProduct(${clip}, ${a}, ${b}, ${bias}, 8, 1, 8);`,
    );
    for (const x of [-128n, -20n, 0n, 33n, 127n]) {
      const ax = x < 0n ? -x : x;
      const u = ax < clip ? ax : clip;
      const sgn = x > 0n ? 1n : x < 0n ? -1n : 0n;
      const g = bias + sgn * (a * (u - clip) ** 2n + b);
      const w = await h.witness({ x });
      expect(h.value(w, 'out')).toBe(f(x * g));
      expect(h.satisfied(w)).toBe(true);
      expect(h.freeWires(w)).toEqual([]);
    }
    const w = await h.witness({ x: -20 });
    // The sign: claim x >= 0 (|x| = x).
    expect(h.satisfied(w, { 'neg.out': 0, nx: 0, ax: -20 })).toBe(false);
  });

  it('StateCommit: a swapped or changed slot commitment changes h', async () => {
    const h = await compile('state', 'component main = StateCommit(2);');
    const w = await h.witness({ cur: 11, slots: [22, 33] });
    const swapped = await h.witness({ cur: 11, slots: [33, 22] });
    expect(h.value(w, 'out')).not.toBe(h.value(swapped, 'out'));
    expect(h.satisfied(w, { out: h.value(swapped, 'out') })).toBe(false);
    const bare = await compile('state0', 'component main = StateCommit(0);');
    expect(bare.value(await bare.witness({ cur: 11, slots: [] }), 'out')).toBe(11n);
  });

  it('Dot: every product of two activations is a constraint', async () => {
    const h = await compile('dot', 'component main = Dot(3);');
    const w = await h.witness({ a: [2, -3, 4], b: [5, 6, -7] });
    expect(h.value(w, 'out')).toBe(f(10 - 18 - 28));
    expect(h.freeWires(w)).toEqual([]);
    expect(h.satisfied(w, { 'p[1]': -17, out: -35 })).toBe(false);
  });
});
