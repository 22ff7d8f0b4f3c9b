// The development ceremonies: which one a circuit gets, the committed hashes, and the native
// writer (native/crates/ceremony) against snarkjs itself: the same bytes as snarkjs' `powersoftau
// new` + `beacon` + `prepare phase2` (for the development beacon and a random one), accepted by
// `snarkjs powersoftau verify`, and a real circuit set up on it proves and verifies.
import { NativeError, nativeAddon } from '@verilay/native';
import { randomInput, randomModel } from '@verilay/inference';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildCircuit, devPtauPowerFor } from './build-circuit';
import { devPtauFile, ensureDevPtau, ensurePtau, MAX_DEV_PTAU_POWER, ptauPowerFor } from './dev-ptau';
import { CeremonyTooSmallError, PtauMismatchError, PtauUnavailableError } from './errors';
import { DEV_PTAU_POWER, devPtauPath, snarkjsCli } from './paths';
import { Prover, releaseProverThreads, verifyInferenceProof } from './prover';
import { fileSha256 } from './build-circuit';

const snarkjs = (...args: string[]) =>
  promisify(execFile)(process.execPath, [snarkjsCli(), ...args], { maxBuffer: 1 << 24 });

describe('ptauPowerFor', () => {
  it('gives the smallest ceremony that holds the constraints, one row per public signal and the constant, never below 2^14', () => {
    expect(ptauPowerFor(10)).toBe(DEV_PTAU_POWER);
    expect(ptauPowerFor(2 ** 14 - 3)).toBe(14);
    expect(ptauPowerFor(2 ** 14 - 2)).toBe(15);
    expect(ptauPowerFor(109_704)).toBe(17); // the MNIST CNN's requantize step
    expect(ptauPowerFor(2 ** 17 - 3, 2)).toBe(17);
    expect(ptauPowerFor(2 ** 17 - 3, 3)).toBe(18);
  });

  it('keeps a 1% margin over the estimate, so today’s 2^14 circuits keep their keys', () => {
    expect(devPtauPowerFor(14_318)).toBe(14); // the MNIST CNN's conv step
    expect(devPtauPowerFor(16_300)).toBe(15);
  });
});

describe('devPtauFile', () => {
  it('is the committed snarkjs file up to 2^14, and a native file with a committed sha256 up to 2^20', () => {
    expect(devPtauFile(10)).toMatchObject({ path: devPtauPath(), power: 14 });
    expect(devPtauFile(14).sha256).toBe(fileSha256(devPtauPath()));
    for (let power = DEV_PTAU_POWER + 1; power <= MAX_DEV_PTAU_POWER; power++) {
      const file = devPtauFile(power);
      expect(file.path).toMatch(new RegExp(`circuits/ptau/pot${power}_dev\\.ptau$`));
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('has no hash past 2^20, and ensureDevPtau refuses such a ceremony', async () => {
    expect(devPtauFile(MAX_DEV_PTAU_POWER + 1).sha256).toBeUndefined();
    await expect(ensureDevPtau(MAX_DEV_PTAU_POWER + 1)).rejects.toThrow(CeremonyTooSmallError);
  });
});

describe('ensurePtau', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-ptau-'))));
  afterAll(async () => {
    await releaseProverThreads();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says the native core is needed when it is off and the file is missing', async () => {
    const file = { path: join(dir, 'missing.ptau'), power: 15, sha256: 'ab'.repeat(32) };
    await expect(ensurePtau(file, null)).rejects.toThrow(PtauUnavailableError);
  });

  it('refuses a file whose sha256 is not the expected one', async () => {
    const path = join(dir, 'foreign.ptau');
    writeFileSync(path, 'not a powers of tau');
    await expect(ensurePtau({ path, power: 15, sha256: 'ab'.repeat(32) }, null)).rejects.toThrow(
      PtauMismatchError,
    );
  });

  // The rest needs the built addon (CI builds it; the VERILAY_NATIVE=off run skips it).
  const addon = process.env.VERILAY_NATIVE === 'off' ? null : nativeAddon();
  const withAddon = addon ? it : it.skip;

  /** snarkjs' own pipeline, as scripts/make-ptau.sh runs it but with a beacon for the contribution. */
  async function snarkjsPtau(
    power: number,
    beacon: { hashHex: string; iterationsExp: number; name: string },
  ) {
    const [p0, p1, out] = ['0', '1', 'final'].map((s) =>
      join(dir, `snarkjs-${power}-${beacon.hashHex.slice(0, 8)}-${s}.ptau`),
    );
    await snarkjs('powersoftau', 'new', 'bn128', String(power), p0);
    await snarkjs(
      'powersoftau',
      'beacon',
      p0,
      p1,
      beacon.hashHex,
      String(beacon.iterationsExp),
      `-n=${beacon.name}`,
    );
    await snarkjs('powersoftau', 'prepare', 'phase2', p1, out);
    return out;
  }

  withAddon(
    'writes, for the development beacon and a random one, the bytes snarkjs writes, which snarkjs verifies',
    async () => {
      const dev = addon!.ptauDevBeacon();
      const random = { hashHex: randomBytes(32).toString('hex'), iterationsExp: 10, name: 'a random beacon' };
      for (const [power, beacon] of [
        [5, dev],
        [4 + (randomBytes(1)[0] % 3), random],
      ] as const) {
        const expected = await snarkjsPtau(power, beacon);
        const path = join(dir, `native-${power}-${beacon.hashHex.slice(0, 8)}.ptau`);
        const written = await addon!.writePtauAsync(path, power, beacon);
        expect(written.power).toBe(power);
        expect(readFileSync(path).equals(readFileSync(expected))).toBe(true);
        const { stdout } = await snarkjs('powersoftau', 'verify', path);
        expect(stdout).toContain('Powers of Tau Ok!');
        expect(stdout).toContain(`Beacon generator: ${beacon.hashHex}`);
      }
    },
    120_000,
  );

  withAddon(
    'writes a missing file once for concurrent callers, then checks its hash; a truncated one is refused',
    async () => {
      const reference = join(dir, 'reference-6.ptau');
      await addon!.writePtauAsync(reference, 6);
      const file = { path: join(dir, 'pot6.ptau'), power: 6, sha256: fileSha256(reference) };
      const steps: string[] = [];
      const [a, b] = await Promise.all([
        ensurePtau(file, addon, (step) => steps.push(step)),
        ensurePtau(file, addon, (step) => steps.push(step)),
      ]);
      expect([a, b]).toEqual([file, file]);
      expect(steps.filter((s) => s === 'ptau done')).toHaveLength(1);
      truncateSync(file.path, 1000);
      await expect(ensurePtau(file, addon)).rejects.toThrow(PtauMismatchError);
    },
    60_000,
  );

  withAddon(
    'sets up a real circuit on a native file (snarkjs newZKey and beacon); its proof verifies',
    async () => {
      const path = join(dir, 'native-10.ptau');
      await addon!.writePtauAsync(path, 10);
      const model = randomModel({
        seed: 3,
        kind: 'mlp',
        sizes: [4, 3],
        argmax: false,
        name: 'on-native-ptau',
      });
      const artifacts = await buildCircuit(model, {
        cacheDir: join(dir, 'cache'),
        ptau: { path, power: 10 },
      });
      const prover = await Prover.load(model, artifacts);
      const proof = await prover.prove(randomInput(model, 1), 5n);
      const vkey = JSON.parse(readFileSync(artifacts.vkeyPath, 'utf8'));
      expect(await verifyInferenceProof(vkey, proof)).toBe(true);
      const forged = { ...proof, outputCommitment: proof.inputCommitment };
      expect(await verifyInferenceProof(vkey, forged)).toBe(false);
    },
    120_000,
  );

  withAddon('refuses hostile arguments with typed errors, and the process goes on', async () => {
    const codeOf = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (error) {
        return (error as NativeError).nativeCode ?? (error as Error).message;
      }
      return 'no error';
    };
    const call =
      (power: number, path = join(dir, 'hostile.ptau'), hashHex?: string) =>
      async () => {
        const { callNativeAsync } = await import('@verilay/native');
        return callNativeAsync(() =>
          addon!.writePtauAsync(
            path,
            power,
            hashHex === undefined ? null : { hashHex, iterationsExp: 10, name: 'x' },
          ),
        );
      };
    expect(await codeOf(call(0))).toBe('PTAU_POWER');
    expect(await codeOf(call(28))).toBe('PTAU_POWER');
    expect(await codeOf(call(-1))).toBe('PTAU_POWER');
    expect(await codeOf(call(Number.NaN))).toBe('PTAU_POWER');
    expect(await codeOf(call(3, join(dir, 'no/such/dir/x.ptau')))).toBe('PTAU_IO');
    expect(await codeOf(call(3, undefined, 'xyz'))).toBe('PTAU_BEACON');
    expect(await codeOf(call(3, undefined, ''))).toBe('PTAU_BEACON');
    expect(await codeOf(call(3, undefined, 'ab'.repeat(300)))).toBe('PTAU_BEACON');
    expect(addon!.ptauDevBeacon().hashHex).toMatch(/^[0-9a-f]{64}$/);
  });
});
