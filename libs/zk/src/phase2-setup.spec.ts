import { nativeAddon, NativeError } from '@verilay/native';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_BEACON } from './build-circuit';
import { compileCircuit } from './compile-circuit';
import { devPtauPath } from './paths';
import { NativePhase2Setup, SnarkjsPhase2Setup } from './phase2-setup';
import { releaseProverThreads } from './prover';

/** Small circuits of different shapes: public/private mixes, big and small coefficients, -O1/-O2. */
const CIRCUITS: Record<string, { source: string; optimization: 1 | 2 }> = {
  // Squarings with constants: private wires, one public input, one output.
  chain: {
    optimization: 2,
    source: `pragma circom 2.1.0;
template Chain(N) { signal input a; signal input b; signal output c; signal t[N];
  t[0] <== a * b; for (var i = 1; i < N; i++) t[i] <== t[i-1] * t[i-1] + i * 7919; c <== t[N-1]; }
component main {public [a]} = Chain(24);`,
  },
  // Bit decomposition: powers of two, and -O2 substitutes the linear sum into big coefficients.
  bits: {
    optimization: 2,
    source: `pragma circom 2.1.0;
template Bits(N) { signal input x; signal input k; signal output y; signal b[N]; var acc = 0;
  for (var i = 0; i < N; i++) { b[i] <-- (x >> i) & 1; b[i] * (b[i] - 1) === 0; acc += b[i] * 2**i; }
  acc === x; y <== x * k - 12345678901234567890; }
component main {public [k]} = Bits(40);`,
  },
  // Every signal public: the C (private) section is empty.
  allPublic: {
    optimization: 1,
    source: `pragma circom 2.1.0;
template P() { signal input a[6]; signal output c[3];
  for (var i = 0; i < 3; i++) c[i] <== a[2*i] * a[2*i+1]; }
component main {public [a]} = P();`,
  },
  // -O1 keeps the linear constraints: many small and negative coefficients.
  linear: {
    optimization: 1,
    source: `pragma circom 2.1.0;
template L(N) { signal input x[N]; signal output s; signal acc[N];
  acc[0] <== x[0] * 3; for (var i = 1; i < N; i++) acc[i] <== acc[i-1] - x[i] * (i + 1);
  s <== acc[N-1] * acc[N-1]; }
component main = L(30);`,
  },
};

const addon = nativeAddon();
const describeNative = addon ? describe : describe.skip;

describeNative(NativePhase2Setup.name, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-setup-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    // snarkjs' setup leaves its curve's worker threads running.
    await releaseProverThreads();
  });

  describe('setup', () => {
    it.each(Object.keys(CIRCUITS))(
      'writes the bytes snarkjs zkey new + zkey beacon write (%s)',
      async (name) => {
        const { source, optimization } = CIRCUITS[name];
        const compiled = await compileCircuit(source, name, join(dir, name), optimization);
        const theirs = join(dir, name, 'snarkjs.zkey');
        const ours = join(dir, name, 'native.zkey');
        await new SnarkjsPhase2Setup().setup(compiled.r1csPath, devPtauPath(), theirs, DEV_BEACON);
        const sut = new NativePhase2Setup(addon!);
        await sut.setup(compiled.r1csPath, devPtauPath(), ours, DEV_BEACON);
        expect(readFileSync(ours).equals(readFileSync(theirs))).toBe(true);
      },
      60_000,
    );

    describe('refuses hostile input with typed errors', () => {
      let r1cs: string;
      beforeAll(async () => {
        r1cs = (await compileCircuit(CIRCUITS.chain.source, 'hostile', join(dir, 'hostile'), 2)).r1csPath;
      });
      const sut = () => new NativePhase2Setup(addon!);
      const code = async (f: () => Promise<void>) => {
        const error = await f().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(NativeError);
        return (error as NativeError).nativeCode;
      };
      const truncated = (from: string, bytes: number) => {
        const to = join(dir, `truncated-${bytes}-${from.split('/').pop()}`);
        writeFileSync(to, readFileSync(from).subarray(0, bytes));
        return to;
      };

      it('a truncated r1cs', async () => {
        const size = readFileSync(r1cs).length;
        for (const bytes of [0, 10, 40, Math.floor(size / 2), size - 1]) {
          const cut = truncated(r1cs, bytes);
          expect(await code(() => sut().setup(cut, devPtauPath(), join(dir, 'x.zkey'), DEV_BEACON))).toMatch(
            /^SETUP_(TRUNCATED|FORMAT)$/,
          );
        }
      });

      it('a truncated powers of tau', async () => {
        for (const bytes of [0, 100, 5_000_000]) {
          const cut = truncated(devPtauPath(), bytes);
          expect(await code(() => sut().setup(r1cs, cut, join(dir, 'x.zkey'), DEV_BEACON))).toMatch(
            /^SETUP_(TRUNCATED|FORMAT)$/,
          );
        }
      });

      it('a powers of tau too small for the circuit, not prepared for phase 2, or no powers of tau', async () => {
        const ptau = readFileSync(devPtauPath());
        // Header section 1 (at byte 12): type, size, then n8 (4), q (32), power (u32).
        const small = Buffer.from(ptau);
        small.writeUInt32LE(2, 12 + 12 + 4 + 32);
        writeFileSync(join(dir, 'small.ptau'), small);
        expect(
          await code(() => sut().setup(r1cs, join(dir, 'small.ptau'), join(dir, 'x.zkey'), DEV_BEACON)),
        ).toBe('SETUP_CEREMONY_TOO_SMALL');
        // The section table follows the 12-byte file header: (type, size) per section.
        const unprepared = Buffer.from(ptau);
        for (let pos = 12; pos < unprepared.length; pos += 12 + Number(unprepared.readBigUInt64LE(pos + 4)))
          if (unprepared.readUInt32LE(pos) === 12) unprepared.writeUInt32LE(99, pos);
        writeFileSync(join(dir, 'unprepared.ptau'), unprepared);
        expect(
          await code(() => sut().setup(r1cs, join(dir, 'unprepared.ptau'), join(dir, 'x.zkey'), DEV_BEACON)),
        ).toBe('SETUP_PTAU_NOT_PREPARED');
        copyFileSync(r1cs, join(dir, 'same.r1cs'));
        expect(
          await code(() => sut().setup(join(dir, 'same.r1cs'), r1cs, join(dir, 'x.zkey'), DEV_BEACON)),
        ).toBe('SETUP_FORMAT');
      });

      it('a beacon snarkjs would refuse', async () => {
        const bad = { ...DEV_BEACON, iterationsExp: 9 };
        expect(await code(() => sut().setup(r1cs, devPtauPath(), join(dir, 'x.zkey'), bad))).toBe(
          'SETUP_BEACON',
        );
        expect(
          await code(() =>
            sut().setup(r1cs, devPtauPath(), join(dir, 'x.zkey'), { ...DEV_BEACON, hash: 'zz' }),
          ),
        ).toBe('SETUP_BEACON');
      });
    });
  });
});
