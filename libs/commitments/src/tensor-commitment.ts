import { buildPoseidon } from './load-circomlibjs';
import { DTYPES, InvalidInputError, type DType } from '@verilay/inference';
import { nativeAddon, type NativeAddon } from '@verilay/native';
import { InvalidFieldElementError } from './errors';
import { FIELD_MODULUS, toHex32, type Hex32 } from './field';
import { createNativeTensorCommitter } from './native-tensor-committer';
import { stateCommitmentInputs } from './state-commitment';

/** Bits packed into one field element: 253 < log2(BN254 modulus), so every packed word is canonical. */
export const PACK_BITS = 253;
/** Words absorbed per Poseidon call after the running state (Poseidon with 16 inputs: t = 17). */
export const WORDS_PER_HASH = 15;

/** The values a tensor commitment binds: its dtype fixes the lane width and offset. */
export interface CommittedTensor {
  readonly dtype: DType;
  readonly data: ArrayLike<number>;
}

export interface TensorCommitter {
  /**
   * The native core's committer: a task whose model also runs natively is then run and
   * committed in one crossing (libs/protocol's executeTask), with the same results.
   */
  readonly native?: boolean;
  /**
   * Poseidon commitment of a tensor (docs/commitments.md):
   *   lanes:  lane_i = value_i - dtype.min (unsigned, dtype.bits wide)
   *   words:  word_j = sum_k lane_{j*L+k} * 2^(bits*k), L = floor(253 / bits) lanes per word
   *   state:  s = Poseidon(length + 2^32 * dtypeCode, salt)
   *           s = Poseidon(s, word_0..word_14), Poseidon(s, word_15..), ... (last chunk shorter)
   */
  commitTensor(tensor: CommittedTensor, salt?: bigint): Hex32;
  /** The field words of the packing (what the circuit hashes), for cross-checks. */
  packTensor(tensor: CommittedTensor): bigint[];
  /**
   * A trace step's state commitment h_i (docs/model-format.md): `current` (the tensor commitment
   * c_i) itself when no slot is live, else Poseidon(0x7673746174650000 + k, c_i, c_j1..c_jk) over
   * the live slots' tensor commitments in ascending slot order (model.states[i]).
   */
  stateCommitment(current: Hex32, liveSlotCommitments: readonly Hex32[]): Hex32;
}

/**
 * Builds a committer, synchronous and reusable: the native core's (native/crates/poseidon) where
 * `nativeAddon()` has one, else circomlibjs' WebAssembly Poseidon (loaded once). Both give the
 * same commitments bit for bit (native-tensor-committer.spec.ts).
 */
export async function createTensorCommitter(
  addon: NativeAddon | null = nativeAddon(),
): Promise<TensorCommitter> {
  return addon ? createNativeTensorCommitter(addon) : createJsTensorCommitter();
}

/** The JavaScript adapter: circomlibjs' WebAssembly Poseidon. */
export async function createJsTensorCommitter(): Promise<TensorCommitter> {
  const poseidon = await buildPoseidon();
  const hash = (inputs: bigint[]) => poseidon.F.toObject(poseidon(inputs));
  return {
    packTensor: packTensor,
    stateCommitment(current, liveSlotCommitments) {
      const inputs = stateCommitmentInputs(current, liveSlotCommitments);
      return inputs === null ? current : toHex32(hash(inputs));
    },
    commitTensor(tensor, salt = 0n) {
      checkSalt(salt);
      const words = packTensor(tensor);
      let state = hash([BigInt(tensor.data.length) + (BigInt(DTYPES[tensor.dtype].code) << 32n), salt]);
      for (let j = 0; j < words.length; j += WORDS_PER_HASH)
        state = hash([state, ...words.slice(j, j + WORDS_PER_HASH)]);
      return toHex32(state);
    },
  };
}

export function packTensor({ dtype, data }: CommittedTensor): bigint[] {
  const { bits, min } = DTYPES[dtype];
  const bytesPerLane = bits / 8;
  const lanes = Math.floor(PACK_BITS / bits);
  const maxLane = 2 ** bits - 1;
  const words: bigint[] = [];
  // Lanes are whole bytes (every dtype is 8, 16 or 32 bits), so a word is its lanes' little-endian
  // bytes read as one integer: build the big-endian hex string and parse it once.
  for (let j = 0; j < data.length; j += lanes) {
    const n = Math.min(lanes, data.length - j);
    let hex = '';
    for (let k = n - 1; k >= 0; k--) {
      const lane = data[j + k] - min;
      // SAFETY: a lane wider than its slot would shift every later lane and could make two
      // different tensors pack to the same words.
      // The value itself must be an integer: `value - min` rounds a tiny fraction away (1e-7 - 2^31).
      if (!Number.isInteger(data[j + k]) || lane < 0 || lane > maxLane)
        throw new InvalidInputError(
          `element ${j + k} is ${data[j + k]}, ${Number.isInteger(data[j + k]) ? 'outside' : 'not an integer of'} ${dtype}`,
          { index: j + k },
        );
      hex += lane.toString(16).padStart(2 * bytesPerLane, '0');
    }
    words.push(BigInt(`0x${hex}`));
  }
  return words;
}

export function checkSalt(salt: bigint): void {
  if (typeof salt !== 'bigint' || salt < 0n || salt >= FIELD_MODULUS)
    throw new InvalidFieldElementError('salt', salt);
}
