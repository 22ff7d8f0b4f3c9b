/**
 * Constraint counts of the circuits/lib templates as libs/zk builds them (circom2 --O2, which
 * substitutes every linear constraint away, so only the non-linear ones remain): fitted on
 * single-template circuits and checked against whole compiled models in circuit-cost.spec.ts.
 * `generateModelCircuit` adds them up, so `verilay model info` sizes a circuit without compiling.
 */

/**
 * circomlib's Poseidon(nInputs), nInputs = 1..16, at --O2: 3 constraints per S-box over 8 full
 * rounds of t = nInputs + 1 S-boxes and the partial rounds, less 3 that --O2 folds away.
 */
const POSEIDON = [213, 240, 261, 297, 321, 354, 381, 402, 417, 459, 465, 504, 543, 537, 573, 609] as const;
/** Each constant input of a Poseidon saves the S-box of its first round. */
const SBOX = 3;

export const templateCost = {
  /** Num2Bits(n): n booleans. */
  inRange: (bits: number) => bits,
  /** Num2Bits(n + 1) of in[0] + 2^n - in[1]. */
  lessThan: (bits: number) => bits + 1,
  roundShift: (shift: number, qBits: number) => shift + qBits,
  /** Two comparisons and two products. */
  clampBoth: (cmpBits: number) => 2 * templateCost.lessThan(cmpBits) + 2,
  /** ClampLow, ClampHigh and Relu: one comparison, one product. */
  clampOneSide: (cmpBits: number) => templateCost.lessThan(cmpBits) + 1,
  /** A range check per element and a running product. */
  maxOf: (k: number, bits: number) => k * bits + k - 1,
  /** Per element: a boolean, a product and a range check. */
  argMax: (n: number, bits: number) => n * (bits + 2),
  divRound: (qBits: number, rBits: number) => 2 * rBits + 1 + qBits,
  // The transformer templates (circuits/lib/transformer.circom).
  /** Two booleans, two products, the output's range and the overshoot's. */
  clampSat: (yBits: number, cmpBits: number) => yBits + cmpBits + 4,
  /** A boolean per vocabulary entry (the sum and the index are linear). */
  oneHot: (v: number) => v,
  /** One product per term. */
  dot: (k: number) => k,
  /** Squares, the mean's quotient and remainder, the root, then per element a product and two remainder checks. */
  rmsNormRow: (d: number, mqBits: number, remBits: number, rBits: number, rdBits: number, qrBits: number) =>
    d +
    mqBits +
    (remBits > 0 && 1 << remBits !== d ? 2 * remBits : remBits) +
    rBits +
    1 +
    2 * rdBits +
    d * (1 + 2 * qrBits),
  /** rmsNormRow's terms with s² added and the variance's remainder taken modulo d² (remBits: bits of d² − 1). */
  layerNormRow: (d: number, mqBits: number, remBits: number, rBits: number, rdBits: number, qrBits: number) =>
    d +
    1 +
    mqBits +
    (remBits > 0 && 2 ** remBits !== d * d ? 2 * remBits : remBits) +
    rBits +
    1 +
    2 * rdBits +
    d * (1 + 2 * qrBits),
  /**
   * Per valid column: d's bits and the running product (MaxOf), the multiplexer's products above its
   * linear first level, 2^z's products, the floor shift (a product, two remainder checks, e's range),
   * the zeroing products for z >= 16, and the normalisation (y's range, a product, two checks).
   */
  softmaxRow: (v: number, dBits: number, k: number, eBits: number, s2Bits: number) => {
    const kb = Math.min(k, dBits);
    const zl = Math.min(dBits - kb, 4);
    const bigBits = dBits - kb - zl;
    const mux = kb > 0 ? (1 << (kb - 1)) - 1 : 0;
    const shift = zl > 0 ? zl - 1 + 1 + 2 * ((1 << zl) - 1) + eBits : 0;
    return v * dBits + (v - 1) + v * (mux + shift + bigBits + 8 + 1 + 2 * s2Bits);
  },
  /** The sign comparison and |x|, the clip comparison when |x| can pass it, the square and x·poly. */
  polyGate: (xBits: number, clipBits: number) => xBits + 1 + 1 + (clipBits > 0 ? clipBits + 2 : 0) + 2,
  /** Poseidon(k + 2) with a constant tag, none for k = 0 (h is the current tensor's commitment). */
  stateCommit: (k: number) => (k === 0 ? 0 : templateCost.poseidon(k + 2) - SBOX),
  poseidon: (inputs: number) => {
    const cost = POSEIDON[inputs - 1];
    if (cost === undefined) throw new RangeError(`Poseidon takes 1..16 inputs, not ${inputs}`);
    return cost;
  },
  /**
   * TensorCommit(N, BITS, MIN, CODE, CHECK): the Poseidon chain and the lane range checks. The
   * chain's head hashes a constant and the salt; --O2 computes it at compile time when the salt
   * is the constant 0, and then the next link also has a constant input.
   */
  tensorCommit: (n: number, bits: number, check: boolean, salted: boolean) => {
    const lanes = Math.floor(253 / bits);
    const words = Math.ceil(n / lanes);
    const full = Math.floor(words / 15);
    const rest = words % 15;
    const head = salted ? templateCost.poseidon(2) - SBOX : -SBOX;
    const chain = head + full * templateCost.poseidon(16) + (rest > 0 ? templateCost.poseidon(rest + 1) : 0);
    return chain + (check ? n * templateCost.inRange(bits) : 0);
  },
} as const;
