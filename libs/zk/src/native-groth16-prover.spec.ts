// The native Groth16 prover (native/crates/prover) against snarkjs on real circuits: the
// contract specs' small validity model and the MNIST MLP (both in the shared .verilay/test-cache,
// the MNIST build shared with test/e2e/mnist.e2e-spec.ts). Its proofs must pass snarkjs' verifier
// and the generated Solidity verifier on anvil (through ModelRegistry.verifyInference, the wrapper
// that reverts on false); hostile keys and witnesses must give NativeErrors, never a crash.
import { modelRegistryAbi, toSolidityProof, type AnvilInstance } from '@verilay/chain';
import { computeModelId, parseModel, randomInput, randomModel, type Model } from '@verilay/inference';
import { NativeError, nativeAddon, type NativeAddon } from '@verilay/native';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { buildCircuit, type CircuitArtifacts } from './build-circuit';
import { circuitInput } from './circuit-input';
import { loadGroth16Prover } from './load-groth16-prover';
import { NativeGroth16Prover } from './native-groth16-prover';
import { Prover, releaseProverThreads, type VerificationKey } from './prover';
import { chainWithRegisteredVerifier } from './registered-chain.spec-helper';
import { SnarkjsGroth16Prover } from './snarkjs-groth16-prover';
import { WitnessCalculator } from './witness-calculator';

const ROOT = join(__dirname, '../../..');
const TEST_CACHE = join(ROOT, '.verilay/test-cache');
const FIELD = 21888242871839275222246405745257511789722875863826672136217419885838446495617n;
const BASE_FIELD = 21888242871839275222246405745257511788909834573127187296006011046524800000000n;
/** Where a .wtns file's witness values start: magic, version, section count, the header section. */
const WTNS_VALUES = 4 + 4 + 4 + (4 + 8 + 40) + (4 + 8);

interface Circuit {
  readonly name: string;
  readonly model: Model;
  build: CircuitArtifacts;
  zkey: Buffer;
  vkey: VerificationKey;
  calculator: WitnessCalculator;
}

const circuits: Circuit[] = [
  {
    name: 'the small validity circuit',
    model: randomModel({ seed: 5, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'validity' }),
  },
  {
    name: 'the MNIST MLP',
    model: parseModel(readFileSync(join(ROOT, 'models/mnist/mnist-mlp.model.json'), 'utf8')),
  },
] as Circuit[];

const addon = (() => {
  try {
    return nativeAddon();
  } catch {
    return null;
  }
})();
const withAddon = addon ? describe : describe.skip;
const itWithAddon = addon ? it : it.skip;

beforeAll(async () => {
  for (const c of circuits) {
    c.build = await buildCircuit(c.model, { cacheDir: TEST_CACHE });
    c.zkey = readFileSync(c.build.zkeyPath);
    c.vkey = JSON.parse(readFileSync(c.build.vkeyPath, 'utf8')) as VerificationKey;
    c.calculator = await WitnessCalculator.load(c.build.wasmPath);
  }
}, 600_000);

afterAll(() => releaseProverThreads());

const wtnsOf = (c: Circuit, seed: number, salt = 0n) =>
  c.calculator.wtns(circuitInput(randomInput(c.model, seed), salt));

describe(loadGroth16Prover.name, () => {
  it('picks snarkjs without the addon, and snarkjs proves', async () => {
    const sut = await loadGroth16Prover(circuits[0].zkey, null);
    expect(sut).toBeInstanceOf(SnarkjsGroth16Prover);
    const { proof, publicSignals } = await sut.prove(await wtnsOf(circuits[0], 1));
    expect(await snarkjs.groth16.verify(circuits[0].vkey, publicSignals, proof)).toBe(true);
  });

  itWithAddon('picks the native prover with the addon', async () => {
    expect(await loadGroth16Prover(circuits[0].zkey, addon)).toBeInstanceOf(NativeGroth16Prover);
    expect((await Prover.load(circuits[0].model, circuits[0].build)).groth16.implementation).toBe('native');
  });
});

withAddon(NativeGroth16Prover.name, () => {
  let sut: NativeGroth16Prover[];

  beforeAll(async () => {
    sut = await Promise.all(circuits.map((c) => NativeGroth16Prover.load(addon!, c.zkey)));
  }, 60_000);

  describe.each(circuits.map((c, i) => [c.name, i] as const))('on %s', (_, i) => {
    const c = circuits[i];
    let anvil: AnvilInstance | undefined;
    afterAll(() => anvil?.stop());

    it('makes proofs snarkjs and the Solidity verifier on anvil accept, and both reject a tampered one', async () => {
      const salt = BigInt(`0x${randomBytes(16).toString('hex')}`);
      const { proof, publicSignals } = await sut[i].prove(await wtnsOf(c, 7, salt));
      expect(proof.pi_a[2]).toBe('1');
      expect(await snarkjs.groth16.verify(c.vkey, publicSignals, proof)).toBe(true);
      // The negated A is a point on the curve, so only the pairing can tell.
      const tampered = {
        ...proof,
        pi_a: [proof.pi_a[0], (BASE_FIELD - BigInt(proof.pi_a[1])).toString(), '1'],
      };
      expect(await snarkjs.groth16.verify(c.vkey, publicSignals, tampered)).toBe(false);

      const chain = await chainWithRegisteredVerifier(c.build, c.model);
      anvil = chain.anvil;
      const verify = (p: typeof proof) =>
        chain.clients.public.readContract({
          address: chain.deployment.registry,
          abi: modelRegistryAbi,
          functionName: 'verifyInference',
          args: [
            computeModelId(c.model),
            BigInt(publicSignals[0]),
            BigInt(publicSignals[1]),
            toSolidityProof(p),
          ],
        });
      expect(await verify(proof)).toBe(BigInt(publicSignals[1]));
      await expect(verify(tampered)).rejects.toThrow(/InvalidProof/);
    }, 120_000);

    it('agrees with snarkjs on random witnesses: both verify, with equal public signals', async () => {
      const js = new SnarkjsGroth16Prover(c.zkey);
      for (let k = 0; k < (i === 0 ? 4 : 1); k++) {
        const wtns = await wtnsOf(c, 100 + Math.floor(Math.random() * 1e6), BigInt(k));
        const [native, reference] = [await sut[i].prove(wtns), await js.prove(wtns)];
        expect(native.publicSignals).toEqual(reference.publicSignals);
        expect(await snarkjs.groth16.verify(c.vkey, native.publicSignals, native.proof)).toBe(true);
        expect(await snarkjs.groth16.verify(c.vkey, reference.publicSignals, reference.proof)).toBe(true);
        expect(native.proof.pi_a).not.toEqual(reference.proof.pi_a); // fresh randomness each
      }
    }, 120_000);
  });

  /** Rejects with a NativeError of this code. */
  const rejectsWith = async (promise: Promise<unknown>, code: string) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NativeError);
    expect((error as NativeError).nativeCode).toBe(code);
    return error as NativeError;
  };

  it('refuses a corrupt, a truncated and a non-zkey key with ZKEY_INVALID', async () => {
    const zkey = circuits[0].zkey;
    // A byte in the middle of section 5 (the A points): off the curve.
    const corrupt = Buffer.from(zkey);
    corrupt[sectionOffset(zkey, 5) + 100] ^= 0x5a;
    const error = await rejectsWith(NativeGroth16Prover.load(addon!, corrupt), 'ZKEY_INVALID');
    expect(error.message).toMatch(/A point \d+ is not on the curve/);
    await rejectsWith(NativeGroth16Prover.load(addon!, zkey.subarray(0, zkey.length >> 1)), 'ZKEY_INVALID');
    await rejectsWith(NativeGroth16Prover.load(addon!, zkey.subarray(0, zkey.length - 1)), 'ZKEY_INVALID');
    await rejectsWith(
      NativeGroth16Prover.load(addon!, readFileSync(circuits[0].build.wasmPath)),
      'ZKEY_INVALID',
    );
    await rejectsWith(NativeGroth16Prover.load(addon!, Buffer.alloc(0)), 'ZKEY_INVALID');
    expect(() => new addon!.NativeProvingKey(readFileSync(circuits[0].build.vkeyPath))).toThrow(
      /ZKEY_INVALID/,
    );
  });

  it('refuses witnesses of the wrong length, out of range, or breaking the circuit, and goes on proving', async () => {
    const [small, mnist] = sut;
    const wtns = Buffer.from(await wtnsOf(circuits[0], 3));
    await rejectsWith(small.prove(await wtnsOf(circuits[1], 3)), 'WITNESS_LENGTH'); // another circuit's
    const raw = wtns.subarray(WTNS_VALUES);
    expect(raw.length).toBe(32 * small.nVars);
    await rejectsWith(small.prove(raw.subarray(0, raw.length - 32)), 'WITNESS_LENGTH');
    await rejectsWith(mnist.prove(raw), 'WITNESS_LENGTH');
    await rejectsWith(small.prove(wtns.subarray(0, wtns.length - 5)), 'WITNESS_INVALID');
    const outOfRange = Buffer.from(raw);
    outOfRange.fill(0xff, 64, 96);
    await rejectsWith(small.prove(outOfRange), 'WITNESS_INVALID');
    // The output commitment (wire 1) changed: every value in range, but a constraint breaks.
    const lying = Buffer.from(raw);
    const output = BigInt(`0x${Buffer.from(lying.subarray(32, 64)).reverse().toString('hex')}`);
    lying.set(Buffer.from(((output + 1n) % FIELD).toString(16).padStart(64, '0'), 'hex').reverse(), 32);
    await rejectsWith(small.prove(lying), 'WITNESS_UNSATISFIED');
    // Still proving: the raw witness (no .wtns header) is accepted too.
    const { proof, publicSignals } = await small.prove(raw);
    expect(await snarkjs.groth16.verify(circuits[0].vkey, publicSignals, proof)).toBe(true);
  });

  it('parses the key once: proving twice reuses the loaded key', async () => {
    let loads = 0;
    const counting: NativeAddon = {
      ...addon!,
      loadNativeProvingKey: (zkey) => (loads++, addon!.loadNativeProvingKey(zkey)),
    };
    const prover = await loadGroth16Prover(circuits[0].zkey, counting);
    for (const seed of [11, 12]) {
      const { proof, publicSignals } = await prover.prove(await wtnsOf(circuits[0], seed));
      expect(await snarkjs.groth16.verify(circuits[0].vkey, publicSignals, proof)).toBe(true);
    }
    expect(loads).toBe(1);
  });
});

/** Byte offset of a section's data in an iden3 binary file (a .zkey). */
function sectionOffset(file: Buffer, kind: number): number {
  let at = 12;
  for (let i = 0; i < file.readUInt32LE(8); i++) {
    const size = Number(file.readBigUInt64LE(at + 4));
    if (file.readUInt32LE(at) === kind) return at + 12;
    at += 12 + size;
  }
  throw new Error(`no section ${kind}`);
}
