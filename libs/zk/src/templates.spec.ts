import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f, Harness, P } from './template-harness.spec-helper';

/** Witness tests for each template of circuits/lib/verilay.circom (the harness says how). */
describe('circuit templates under forged witnesses', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-templates-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('RoundShift: wrong rounding and an out-of-range remainder are rejected', async () => {
    const h = await Harness.compile(dir, 'round', 'component main = RoundShift(3, 2, -200, 9);');
    // x = 5: 5*3 + 2 = 17 = 4*4 + 1.
    const w = await h.witness({ x: 5 });
    expect([h.value(w, 'q'), h.value(w, 'r')]).toEqual([4n, 1n]);
    expect(h.satisfied(w)).toBe(true);
    expect(h.satisfied(w, { q: 5, r: -3 })).toBe(false); // rounds up, remainder negative
    expect(h.satisfied(w, { q: 3, r: 5 })).toBe(false); // rounds down, remainder >= 2^shift
    expect(h.satisfied(w, { q: 5 })).toBe(false); // equation broken
    // Negative x: -7*3 + 2 = -19 = -5*4 + 1 (floor, not truncation toward zero).
    const neg = await h.witness({ x: -7 });
    expect([h.value(neg, 'q'), h.value(neg, 'r')]).toEqual([f(-5), 1n]);
    expect(h.satisfied(neg, { q: -4, r: -3 })).toBe(false);
  });

  it('RoundShift without its q check, feeding a clamp: the comparator still pins the rounding', async () => {
    const body = `template Fused() {
      signal input x;
      signal output y;
      component round = RoundShift(3, 2, -200, 0);
      round.x <== x;
      component clamp = ClampBoth(-10, 10, 9);
      clamp.t <== round.q;
      y <== clamp.y;
    }
    component main = Fused();`;
    const h = await Harness.compile(dir, 'fused', body);
    const w = await h.witness({ x: 5 }); // 17 = 4*4 + 1
    expect(h.value(w, 'y')).toBe(4n);
    expect(h.satisfied(w)).toBe(true);
    expect(h.satisfied(w, { 'round.q|clamp.t': 5, 'round.r': -3 })).toBe(false);
    expect(h.satisfied(w, { 'round.q|clamp.t': 3, 'round.r': 5 })).toBe(false);
    // A huge q with a matching r: only the comparator's bit decomposition can refuse it.
    expect(h.satisfied(w, { 'round.q|clamp.t': 4n + (1n << 200n), 'round.r': 1n - (1n << 202n) })).toBe(
      false,
    );
  });

  it('ClampBoth: a saturated value cannot be passed through unclamped', async () => {
    const h = await Harness.compile(dir, 'clamp', 'component main = ClampBoth(-128, 127, 10);');
    for (const [t, y] of [
      [200, 127],
      [-300, -128],
      [5, 5],
    ] as const) {
      const w = await h.witness({ t });
      expect(h.value(w, 'y')).toBe(f(y));
      expect(h.satisfied(w)).toBe(true);
    }
    const w = await h.witness({ t: 200 });
    expect(h.satisfied(w, { y: 200 })).toBe(false);
    expect(h.satisfied(w, { 'above.out': 0, b: 0, y: 200 })).toBe(false); // claim "not above"
  });

  it('Relu: a negative value cannot keep its sign', async () => {
    const h = await Harness.compile(dir, 'relu', 'component main = Relu(9);');
    const w = await h.witness({ x: -5 });
    expect(h.value(w, 'y')).toBe(0n);
    expect(h.satisfied(w)).toBe(true);
    expect(h.satisfied(w, { 'neg.out': 0, nx: 0, y: -5 })).toBe(false);
    const pos = await h.witness({ x: 9 });
    expect(h.satisfied(pos, { 'neg.out': 1, nx: 9, y: 0 })).toBe(false);
  });

  it('MaxOf: neither a smaller element nor a value above all is accepted as the maximum', async () => {
    const h = await Harness.compile(dir, 'max', 'component main = MaxOf(4, 9);');
    const w = await h.witness({ in: [3, 7, -2, 7] });
    expect(h.value(w, 'out')).toBe(7n);
    expect(h.satisfied(w)).toBe(true);
    expect(h.satisfied(w, { out: 3 })).toBe(false);
    expect(h.satisfied(w, { out: 8 })).toBe(false);
  });

  it('ArgMax: the index is the first maximum; a later tie or a smaller element is rejected', async () => {
    const h = await Harness.compile(dir, 'argmax', 'component main = ArgMax(4, 10);');
    const w = await h.witness({ in: [3, 7, -2, 7] });
    expect(h.value(w, 'out')).toBe(1n);
    expect(h.satisfied(w)).toBe(true);
    // The later of two equal maxima.
    expect(h.satisfied(w, { 's[1]': 0, 's[3]': 1, 'picked[1]': 0, 'picked[3]': 7, out: 3 })).toBe(false);
    // A smaller element.
    expect(h.satisfied(w, { 's[1]': 0, 's[0]': 1, 'picked[1]': 0, 'picked[0]': 3, out: 0 })).toBe(false);
    // Not one-hot: two halves.
    expect(h.satisfied(w, { 's[1]': (P + 1n) / 2n, 's[3]': (P + 1n) / 2n })).toBe(false);
  });

  it('DivRound: a remainder of the window size or more is rejected even within its bit width', async () => {
    const h = await Harness.compile(dir, 'div', 'component main = DivRound(3, -128, 8, 2);');
    // sum = 8: 8 + 1 = 9 = 3*3 + 0.
    const w = await h.witness({ sum: 8 });
    expect([h.value(w, 'q'), h.value(w, 'r')]).toEqual([3n, 0n]);
    expect(h.satisfied(w)).toBe(true);
    // r = 3 fits 2 bits; only the r < 3 comparator stops q = 2.
    const bits = { 'rRange.bits.out[0]': 1, 'rRange.bits.out[1]': 1 };
    expect(h.satisfied(w, { q: 2, r: 3, ...bits })).toBe(false);
  });

  it('TensorCommit: the lane range checks are what stop two tensors sharing one packing', async () => {
    const body = (check: number) => `component main = TensorCommit(3, 8, -128, 1, ${check});`;
    for (const check of [1, 0]) {
      const h = await Harness.compile(dir, `commit${check}`, body(check));
      const w = await h.witness({ in: [5, -7, 100], salt: 9 });
      expect(h.satisfied(w)).toBe(true);
      // in[0] + 256, in[1] - 1: the same packed word, so the same Poseidon input and commitment.
      const alias = { 'in[0]': 5 + 256, 'in[1]': -7 - 1 };
      expect(h.satisfied(w, alias)).toBe(check === 0);
    }
  });
});
