/**
 * Constraint counts (non-linear + linear) of the circuits/lib templates as circom2 compiles them
 * with --O1 (the level libs/zk builds with), fitted on single-template circuits and checked
 * against whole compiled models in circuit-cost.spec.ts. `generateModelCircuit` adds them up, so
 * `verilay model info` can size a model's circuit without compiling it.
 */

/** Poseidon(nInputs) from circomlib, nInputs = 1..16: measured totals (non-linear + linear). */
const POSEIDON = [
  415, 517, 605, 736, 835, 967, 1081, 1171, 1231, 1420, 1429, 1613, 1807, 1726, 1905, 2092,
] as const;

export const templateCost = {
  /** Num2Bits(n): n booleans and the recomposition. */
  inRange: (bits: number) => bits + 1,
  /** Num2Bits(n + 1) on in[0] + 2^n - in[1], plus the output. */
  lessThan: (bits: number) => bits + 4,
  roundShift: (shift: number, qBits: number) => shift + 2 + (qBits > 0 ? qBits + 2 : 0),
  clampBoth: (cmpBits: number) => 2 * templateCost.lessThan(cmpBits) + 3,
  /** ClampLow, ClampHigh and Relu: one comparison, one product, the output. */
  clampOneSide: (cmpBits: number) => templateCost.lessThan(cmpBits) + 2,
  maxOf: (k: number, bits: number) => k * (bits + 3),
  argMax: (n: number, bits: number) => n * (bits + 4) + 2,
  divRound: (qBits: number, rBits: number) => 2 * rBits + qBits + 7,
  poseidon: (inputs: number) => {
    const cost = POSEIDON[inputs - 1];
    if (cost === undefined) throw new RangeError(`Poseidon takes 1..16 inputs, not ${inputs}`);
    return cost;
  },
  /** TensorCommit(N, BITS, MIN, CODE, CHECK): the Poseidon chain, one linear constraint per word, the lane checks. */
  tensorCommit: (n: number, bits: number, min: number, check: boolean) => {
    const lanes = Math.floor(253 / bits);
    const words = Math.ceil(n / lanes);
    const full = Math.floor(words / 15);
    const rest = words % 15;
    const chain =
      templateCost.poseidon(2) +
      full * templateCost.poseidon(16) +
      (rest > 0 ? templateCost.poseidon(rest + 1) : 0);
    return chain + words + (check ? n * (templateCost.inRange(bits) + (min !== 0 ? 1 : 0)) : 0);
  },
} as const;
