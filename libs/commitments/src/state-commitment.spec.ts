import { buildPoseidonReference } from 'circomlibjs';
import { splitmix32 } from '@verilay/inference';
import { nativeAddon, nativeStatus, resetNativeForTest } from '@verilay/native';
import { InvalidFieldElementError } from './errors';
import { FIELD_MODULUS, toHex32, type Hex32 } from './field';
import { createNativeTensorCommitter } from './native-tensor-committer';
import { MAX_STATE_SLOTS, STATE_TAG, stateCommitmentInputs } from './state-commitment';
import { createJsTensorCommitter, type TensorCommitter } from './tensor-commitment';

const built = process.env.VERILAY_NATIVE !== 'off' && (resetNativeForTest(), nativeStatus().active);
const withAddon = built ? describe : describe.skip;

const c = (n: bigint): Hex32 => toHex32(n);
/** A random commitment (a field element). */
function randomCommitment(rand: () => number): Hex32 {
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  return toHex32(x % FIELD_MODULUS);
}

let sut: TensorCommitter;
beforeAll(async () => {
  sut = await createJsTensorCommitter();
});

describe('stateCommitment', () => {
  it('is the current tensor commitment itself when no slot is live (every v1 trace)', () => {
    const current = c(123456789n);
    expect(sut.stateCommitment(current, [])).toBe(current);
  });

  it('is circomlib\'s Poseidon of ("vstate" tag + k, current, slots in order): pinned vector', async () => {
    const reference = await buildPoseidonReference();
    const hash = (xs: bigint[]) => toHex32(reference.F.toObject(reference(xs)));
    const [current, s1, s2] = [c(11n), c(22n), c(33n)];
    expect(STATE_TAG).toBe(0x7673746174650000n); // "vstate" 00 00
    expect(sut.stateCommitment(current, [s1])).toBe(hash([0x7673746174650001n, 11n, 22n]));
    expect(sut.stateCommitment(current, [s1, s2])).toBe(hash([0x7673746174650002n, 11n, 22n, 33n]));
    // Regression vector: the circuits' state hash must give this value for these inputs.
    expect(sut.stateCommitment(current, [s1, s2])).toBe(
      '0x1ccb271ad10da72f122c78eb3c5b241670ac64252eb2b4309b43576239b927c7',
    );
  });

  it('binds the order and the number of live slots', () => {
    const [current, s1, s2] = [c(1n), c(2n), c(3n)];
    const hashes = [
      sut.stateCommitment(current, [s1, s2]),
      sut.stateCommitment(current, [s2, s1]),
      sut.stateCommitment(s1, [current, s2]),
      sut.stateCommitment(current, [s1]),
      sut.stateCommitment(current, [s1, s2, s2]),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('takes up to 14 live slots (16 Poseidon inputs) and refuses 15', () => {
    const slots = Array.from({ length: MAX_STATE_SLOTS }, (_, i) => c(BigInt(i + 2)));
    expect(sut.stateCommitment(c(1n), slots)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(() => sut.stateCommitment(c(1n), [...slots, c(99n)])).toThrow(/at most 14 live slots/);
  });

  it('refuses inputs that are not field elements (not hex, or not below the modulus)', () => {
    expect(() => sut.stateCommitment(toHex32(FIELD_MODULUS), [c(1n)])).toThrow(InvalidFieldElementError);
    expect(() => sut.stateCommitment(c(1n), ['0x12' as Hex32])).toThrow(InvalidFieldElementError);
    expect(() => stateCommitmentInputs(c(1n), [toHex32(FIELD_MODULUS)])).toThrow(/live slot commitment 0/);
  });
});

withAddon('stateCommitment (native adapter)', () => {
  it('equals the JavaScript adapter on random states of 0..14 live slots, errors included', () => {
    const native = createNativeTensorCommitter(nativeAddon()!);
    const rand = splitmix32(13);
    for (let run = 0; run < 60; run++) {
      const current = randomCommitment(rand);
      const slots = Array.from({ length: run % 15 }, () => randomCommitment(rand));
      expect(native.stateCommitment(current, slots)).toBe(sut.stateCommitment(current, slots));
    }
    expect(() => native.stateCommitment(toHex32(FIELD_MODULUS), [c(1n)])).toThrow(InvalidFieldElementError);
  });
});
