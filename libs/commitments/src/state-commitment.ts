import { InvalidFieldElementError } from './errors';
import { FIELD_MODULUS, isHex32, type Hex32 } from './field';

/** "vstate" in the high bytes of a state commitment's tag; the live slot count k is added. */
export const STATE_TAG = 0x7673746174650000n;
/** At most 14 live slots: the tag, the current tensor and 14 slots are Poseidon's 16 inputs. */
export const MAX_STATE_SLOTS = 14;

/**
 * The Poseidon inputs of a state commitment h_i (docs/model-format.md, "State commitment"):
 * `[tag + k, c_i, c_j1, …, c_jk]`, or null when no slot is live (then h_i = c_i). Every input is
 * checked to be 32 bytes of hex below the field modulus (every commitment is a Poseidon output);
 * the slots are in ascending slot order (`model.states[i]`).
 */
export function stateCommitmentInputs(
  current: Hex32,
  liveSlotCommitments: readonly Hex32[],
): bigint[] | null {
  const k = liveSlotCommitments.length;
  if (k > MAX_STATE_SLOTS)
    throw new RangeError(`a state has at most ${MAX_STATE_SLOTS} live slots, got ${k}`);
  const values = [current, ...liveSlotCommitments].map((c, i) => {
    const what = i === 0 ? 'current tensor commitment' : `live slot commitment ${i - 1}`;
    if (!isHex32(c) || BigInt(c) >= FIELD_MODULUS) throw new InvalidFieldElementError(what, c);
    return BigInt(c);
  });
  return k === 0 ? null : [STATE_TAG + BigInt(k), ...values];
}
