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
