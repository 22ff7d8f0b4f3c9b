import { buildPoseidon } from 'circomlibjs';
import { DTYPES, InvalidInputError, splitmix32, type DType } from '@verilay/inference';
import { callNative, NativeError, nativeAddon, nativeStatus, resetNativeForTest } from '@verilay/native';
import { FIELD_MODULUS, toHex32 } from './field';
import { createNativeTensorCommitter } from './native-tensor-committer';
import { createJsTensorCommitter, createTensorCommitter, type TensorCommitter } from './tensor-commitment';
import { TraceTree, traceRoot } from './trace-commitment';

// The native core is built by `npm run build` (CI's first run); the fallback run
// (VERILAY_NATIVE=off) skips the native half and checks that the JavaScript adapter is chosen.
const built = process.env.VERILAY_NATIVE !== 'off' && (resetNativeForTest(), nativeStatus().active);
const withAddon = built ? describe : describe.skip;

const word = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
/** A random field element: often small, sometimes r - 1 or 0, mostly uniform. */
function randomField(rand: () => number): bigint {
  const pick = rand();
  if (pick < 0.05) return 0n;
  if (pick < 0.1) return FIELD_MODULUS - 1n;
  if (pick < 0.3) return BigInt(Math.floor(rand() * 2 ** 32));
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  return x % FIELD_MODULUS;
}

describe(createTensorCommitter.name, () => {
  it('picks the adapter nativeAddon() says: the JavaScript one without the core', async () => {
    const js = await createTensorCommitter(null);
    expect(js.commitTensor({ dtype: 'int8', data: [1, 2, 3] })).toMatch(/^0x[0-9a-f]{64}$/);
  });

  // A fraction too small to survive `value - dtype.min` (1e-7 - 2^31 rounds to -2^31) used to
  // commit as 0, so a commitment opened to an input that no replay accepts (the runtime refuses
  // it). Both adapters refuse it now.
  it('refuses tiny fractions that the subtraction of the dtype minimum would round away', async () => {
    const committers = [await createJsTensorCommitter(), ...(built ? [await createTensorCommitter()] : [])];
    for (const sut of committers)
      for (const [dtype, value] of [
        ['int32', 1e-7],
        ['int8', 1e-14],
        ['int16', -1e-12],
      ] as const)
        expect(() => sut.commitTensor({ dtype, data: [0, value] })).toThrow(
          `element 1 is ${value}, not an integer of ${dtype}`,
        );
  });
});

describe(traceRoot.name, () => {
  it('equals OpenZeppelin StandardMerkleTree root of TraceTree for 2..40 random commitments', () => {
    const rand = splitmix32(7);
    for (let n = 2; n <= 40; n++) {
      const hs = Array.from({ length: n }, () => toHex32(randomField(rand)));
      expect(traceRoot(hs)).toBe(new TraceTree(hs).root);
    }
    expect(() => traceRoot([toHex32(1n)])).toThrow(/at least an input and an output/);
    expect(() => traceRoot([toHex32(1n), '0x12'])).toThrow(/32 bytes/);
  });
});

withAddon(createNativeTensorCommitter.name, () => {
  let js: TensorCommitter;
  let sut: TensorCommitter;
  beforeAll(async () => {
    js = await createJsTensorCommitter();
    sut = createNativeTensorCommitter(nativeAddon()!);
  });

  it('is what createTensorCommitter picks when the core is built', async () => {
    const picked = await createTensorCommitter();
    const data = Int32Array.from({ length: 100 }, (_, i) => i - 50);
    expect(picked.commitTensor({ dtype: 'int8', data })).toBe(sut.commitTensor({ dtype: 'int8', data }));
  });

  it('hashes as circomlibjs does, for every width, on 2,000 random inputs (100,000: bench/poseidon-native.bench.ts)', async () => {
    const poseidon = await buildPoseidon();
    const rand = splitmix32(1);
    const addon = nativeAddon()!;
    for (let k = 0; k < 2000; k++) {
      const n = 1 + (k % 16);
      const inputs = Array.from({ length: n }, () => randomField(rand));
      const expected = poseidon.F.toObject(poseidon(inputs));
      expect(BigInt(`0x${addon.poseidonHash(Buffer.concat(inputs.map(word))).toString('hex')}`)).toBe(
        expected,
      );
    }
  });

  it('commits random tensors of every dtype, length and salt exactly as the JavaScript path', () => {
    const rand = splitmix32(2);
    for (let k = 0; k < 200; k++) {
      const dtype = (Object.keys(DTYPES) as DType[])[k % 4];
      const { min, max } = DTYPES[dtype];
      const length = k % 10 === 0 ? 1 + Math.floor(rand() * 2000) : 1 + Math.floor(rand() * 120);
      const data = Array.from({ length }, () =>
        rand() < 0.1 ? (rand() < 0.5 ? min : max) : min + Math.floor(rand() * (max - min + 1)),
      );
      const salt = rand() < 0.5 ? 0n : randomField(rand);
      const expected = js.commitTensor({ dtype, data }, salt);
      expect(sut.commitTensor({ dtype, data }, salt)).toBe(expected);
      expect(sut.commitTensor({ dtype, data: Int32Array.from(data) }, salt)).toBe(expected);
      if (dtype === 'uint8')
        expect(sut.commitTensor({ dtype, data: Uint8Array.from(data) }, salt)).toBe(expected);
    }
  });

  it('throws the JavaScript path own errors for values outside the dtype, non-integers and bad salts', () => {
    const cases: [DType, ArrayLike<number>][] = [
      ['int8', [0, 128]],
      ['uint8', [-1]],
      ['int16', [0.5]],
      ['int32', [2 ** 31]],
      ['int8', [Number.NaN]],
      ['int8', [Infinity]],
      ['int8', [1, undefined as unknown as number]],
      ['int8', Int32Array.of(1, 2, 300)],
    ];
    for (const [dtype, data] of cases) {
      let expected: unknown;
      try {
        js.commitTensor({ dtype, data });
      } catch (error) {
        expected = error;
      }
      expect(expected).toBeInstanceOf(InvalidInputError);
      expect(() => sut.commitTensor({ dtype, data })).toThrow((expected as Error).message);
      expect(() => sut.commitTensor({ dtype, data })).toThrow(InvalidInputError);
    }
    expect(() => sut.commitTensor({ dtype: 'int8', data: [1] }, FIELD_MODULUS)).toThrow(
      /below the BN254 modulus/,
    );
    expect(() => sut.commitTensor({ dtype: 'int8', data: [1] }, -1n)).toThrow(/below the BN254 modulus/);
  });

  it('gives typed errors for hostile calls to the addon itself, and the process goes on', () => {
    const addon = nativeAddon()!;
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as NativeError).nativeCode ?? (error as Error).message;
      }
      return 'no error';
    };
    const call = (f: () => unknown) => code(() => callNative(f));
    expect(call(() => addon.poseidonHash(Buffer.alloc(0)))).toBe('POSEIDON_WIDTH');
    expect(call(() => addon.poseidonHash(Buffer.alloc(17 * 32)))).toBe('POSEIDON_WIDTH');
    expect(call(() => addon.poseidonHash(Buffer.alloc(33)))).toBe('POSEIDON_WIDTH');
    expect(call(() => addon.poseidonHash(word(FIELD_MODULUS)))).toBe('FIELD_ELEMENT');
    expect(call(() => addon.commitTensorI32(9, Int32Array.of(1), null))).toBe('TENSOR_DTYPE');
    expect(call(() => addon.commitTensorI32(1, Int32Array.of(1), Buffer.alloc(31)))).toBe('FIELD_ELEMENT');
    expect(call(() => addon.commitTensorI32(1, Int32Array.of(1), Buffer.alloc(32, 0xff)))).toBe(
      'FIELD_ELEMENT',
    );
    expect(call(() => addon.commitTensorF64(2, Float64Array.of(1.5), null))).toBe('TENSOR_VALUE');
    // Wrong JS types are refused by the binding's conversion (an Error, not a crash).
    expect(call(() => addon.commitTensorI32(1, [1, 2] as unknown as Int32Array, null))).not.toBe('no error');
    expect(addon.commitTensorI32(1, new Int32Array(0), null)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(addon.commitTensorI32(1, new Int32Array(0), null)).toBe(
      js.commitTensor({ dtype: 'int8', data: [] }),
    );
  });
});
