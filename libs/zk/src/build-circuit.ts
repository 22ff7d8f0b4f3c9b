import { computeModelId, type Model } from '@verilay/inference';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { compileCircuit } from './compile-circuit';
import { devPtauFile, ensureDevPtau, ptauPowerFor, type PtauFile } from './dev-ptau';
import { CeremonyTooSmallError } from './errors';
import { generateModelCircuit } from './generate-circuit';
import { circuitsLibDir, DEV_PTAU_POWER, devPtauPath, repoRoot, snarkjsDir } from './paths';
import { phase2Setup } from './phase2-setup';
import { parseR1cs } from './r1cs';

export interface BuildOptions {
  /** Cache root; artifacts go to <cacheDir>/<modelId>/<circuitHash>/. Default: <repo>/.verilay/cache (apps map VERILAY_CACHE_DIR to this). */
  readonly cacheDir?: string;
  /** One step (layer) of the trace instead of the whole inference. */
  readonly step?: number;
  /**
   * Powers of tau (prepared for phase 2) and its power. Default: the smallest development ceremony
   * that holds the circuit (dev-ptau.ts): the committed 2^14 file, or a larger one the native core
   * writes from the development beacon on first need.
   */
  readonly ptau?: PtauFile;
  /** Called at each step of a long build. */
  readonly onProgress?: (step: string, detail?: string) => void;
}

/** Where a built circuit's artifacts are, and what building it took. */
export interface CircuitArtifacts {
  readonly dir: string;
  readonly modelId: `0x${string}`;
  readonly circuitHash: string;
  readonly step: number | null;
  readonly wasmPath: string;
  readonly zkeyPath: string;
  readonly vkeyPath: string;
  readonly verifierSolPath: string;
  /** sha256 (hex) of the proving key file: its content address (GET /v1/models/:id/keys/:sha256). */
  readonly zkeySha256: string;
  /** sha256 (hex) of vkey.json. */
  readonly vkeySha256: string;
  readonly constraints: number;
  readonly nonLinearConstraints: number;
  /** Seconds per build step; empty for a cache hit. */
  readonly timings: Readonly<Record<string, number>>;
  readonly cacheHit: boolean;
}

const MANIFEST = 'build.json';
/**
 * circom -O2 substitutes linear constraints away (Num2Bits sums, layer outputs, Poseidon's linear
 * layers): an equivalent system with fewer rows. The templates' forged-witness tests and the
 * runtime cross-checks run on -O1 builds where every signal stays visible; the proof tests run on
 * these -O2 builds.
 */
export const OPTIMIZATION = 2;

/**
 * Whether a circuit fits a powers of tau of 2^power: Groth16's domain holds the constraints, one
 * per public signal, and the constant. Every verilay circuit has two public signals (the input
 * and output commitments).
 */
export function fitsCeremony(constraints: number, power = DEV_PTAU_POWER, publicSignals = 2): boolean {
  return constraints + publicSignals + 1 <= 2 ** power;
}

/**
 * The public beacon that ends the development phase 2 (`snarkjs zkey beacon`), in place of a
 * contribution from random bytes: the same circuit, powers of tau and beacon give a byte-identical
 * proving key on every machine, so a defender after a cache miss proves against the registered
 * verifier and anyone can rebuild a registered key to audit it. The value is sha256 of the ASCII
 * text "verilay development phase-2 beacon, version 1": public by design, so the development key's
 * toxic waste is known (as the development powers of tau's is). Production: docs/trusted-setup.md.
 */
export const DEV_BEACON = {
  hash: '2fd64545c81f6355e78f6c9918aa6600f4a20f615e0f222783fd51d38d9b684c',
  iterationsExp: 10,
  name: 'verilay development beacon',
} as const;

/**
 * The hash a build is cached under: the generated source, the template library, the toolchain
 * and the setup (powers of tau file and beacon); the same hash means the same keys.
 */
export function circuitHash(source: string, ptau: PtauFile | string = devPtauPath()): string {
  // A development file's committed hash stands for its bytes (ensureDevPtau checks them before a
  // setup), so a circuit's cache directory is known before its powers of tau is written.
  // A development file past 2^20 has no hash (and no build: ensureDevPtau refuses it).
  const ptauHash =
    typeof ptau === 'string'
      ? ptauSha256(ptau)
      : (ptau.sha256 ?? (existsSync(ptau.path) ? ptauSha256(ptau.path) : `absent 2^${ptau.power}`));
  const circom2 = JSON.parse(readFileSync(require.resolve('circom2/package.json'), 'utf8')).version;
  const snark = JSON.parse(readFileSync(join(snarkjsDir(), 'package.json'), 'utf8')).version;
  return createHash('sha256')
    .update(source)
    .update(readFileSync(join(circuitsLibDir(), 'verilay.circom')))
    .update(`circom2@${circom2} snarkjs@${snark} O${OPTIMIZATION}`)
    .update(`ptau ${ptauHash} beacon ${DEV_BEACON.hash} 2^${DEV_BEACON.iterationsExp}`)
    .digest('hex')
    .slice(0, 16);
}

/** The powers of tau's hash, computed once per file version (the file is tens of megabytes). */
const ptauHashes = new Map<string, string>();
function ptauSha256(path: string): string {
  const { size, mtimeMs } = statSync(path);
  const key = `${path}:${size}:${mtimeMs}`;
  let hash = ptauHashes.get(key);
  if (!hash) ptauHashes.set(key, (hash = fileSha256(path)));
  return hash;
}

/** sha256 (hex) of a file: the content address of keys and powers of tau. */
export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Where a build of the model (or of one step) lives in the cache, and its hash. */
function buildLocation(model: Model, options: BuildOptions) {
  const generated = generateModelCircuit(model, { step: options.step });
  const ptau = options.ptau ?? devPtauFile(devPtauPowerFor(generated.estimatedConstraints));
  const hash = circuitHash(generated.source, ptau);
  const root = options.cacheDir ?? join(repoRoot(), '.verilay/cache');
  const dir = join(
    root,
    computeModelId(model),
    options.step === undefined ? `whole-${hash}` : `step${options.step}-${hash}`,
  );
  return { generated, ptau, hash, dir, manifest: join(dir, MANIFEST) };
}

/**
 * The development ceremony a circuit gets, from its estimated constraints (within 1% of circom's
 * count, circuit-cost.spec.ts): the smallest that holds the estimate plus 1%, so the cache
 * directory is known without compiling. Every circuit of today's models that fits 2^14 keeps it.
 */
export function devPtauPowerFor(estimatedConstraints: number): number {
  return ptauPowerFor(Math.ceil(estimatedConstraints * 1.01));
}

/**
 * The cache directory a build of the model (or of one step) goes to; it names the circuit and
 * its setup, so the same directory always holds the same keys.
 */
export function circuitBuildDir(
  model: Model,
  options: Pick<BuildOptions, 'cacheDir' | 'step' | 'ptau'> = {},
): string {
  return buildLocation(model, options).dir;
}

/** The completed build in `dir` (see circuitBuildDir), or undefined while there is none. */
export function readCircuitBuild(dir: string): CircuitArtifacts | undefined {
  return readManifest({ dir, manifest: join(dir, MANIFEST) });
}

/** The completed build of the model (or of one step) in the cache, without building it. */
export function findCircuitBuild(
  model: Model,
  options: Pick<BuildOptions, 'cacheDir' | 'step' | 'ptau'> = {},
): CircuitArtifacts | undefined {
  return readManifest(buildLocation(model, options));
}

/**
 * A build's files, by fixed names inside its directory. The manifest's own paths are never used:
 * whoever can write a build.json could otherwise point the key (served by GET
 * /v1/models/:id/keys/:sha256, loaded by provers) at any file, and a moved cache would keep
 * pointing at the old directory.
 */
function buildFiles(dir: string) {
  return {
    wasmPath: join(dir, 'circuit_js/circuit.wasm'),
    zkeyPath: join(dir, 'circuit.zkey'),
    vkeyPath: join(dir, 'vkey.json'),
    verifierSolPath: join(dir, 'Groth16Verifier.sol'),
  };
}

function readManifest(
  { dir, manifest }: { dir: string; manifest: string },
  timings: Readonly<Record<string, number>> = {},
): CircuitArtifacts | undefined {
  if (!existsSync(manifest)) return undefined;
  return {
    ...(JSON.parse(readFileSync(manifest, 'utf8')) as CircuitArtifacts),
    ...buildFiles(dir),
    dir,
    timings,
    cacheHit: true,
  };
}

/**
 * Builds a model's circuit (or one step's), its Groth16 keys and its Solidity verifier, or
 * returns the cached build. Steps: generate, compile (circom2), phase-2 setup on the powers of
 * tau, the public development beacon (DEV_BEACON), export of the verification key and the
 * verifier contract. Every step is deterministic: the same inputs give byte-identical keys.
 * The development phase 2 has no secret contributor: not for production (docs/trusted-setup.md).
 */
export async function buildCircuit(model: Model, options: BuildOptions = {}): Promise<CircuitArtifacts> {
  const progress = options.onProgress ?? (() => undefined);
  const modelId = computeModelId(model);
  const location = buildLocation(model, options);
  const { generated, ptau, hash, dir, manifest } = location;
  const cached = readManifest(location);
  if (cached) {
    progress('cache', `hit ${dir}`);
    return cached;
  }

  // Fail before the slow compile when the estimate (within 1% of the compiled count, see
  // circuit-cost.spec.ts) is already well past the ceremony; the exact check follows the compile.
  if (generated.estimatedConstraints > 1.05 * 2 ** ptau.power)
    throw new CeremonyTooSmallError(generated.estimatedConstraints, ptau.power, 'about ');
  // The development file is written (natively) on first need, before the slow compile, and checked
  // against its committed hash.
  if (!options.ptau) await ensureDevPtau(ptau.power, progress);

  // Build in a scratch directory and rename it into place: a crash never leaves a half build
  // that looks complete.
  const work = `${dir}.tmp-${process.pid}`;
  removeAbandonedBuilds(dir);
  mkdirSync(work, { recursive: true });
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, detail: string, f: () => Promise<T>): Promise<T> => {
    progress(step, detail);
    const start = performance.now();
    const result = await f();
    timings[step] = Number(((performance.now() - start) / 1000).toFixed(2));
    progress(`${step} done`, `${timings[step]} s`);
    return result;
  };

  const compiled = await timed('compile', `circom2 --O${OPTIMIZATION}`, () =>
    compileCircuit(generated.source, 'circuit', work, OPTIMIZATION),
  );
  const r1cs = parseR1cs(readFileSync(compiled.r1csPath));
  const constraints = r1cs.constraints.length;
  // Groth16's domain must hold the constraints plus one per public input (and the constant).
  if (!fitsCeremony(constraints, ptau.power, r1cs.nPubInputs + r1cs.nOutputs))
    throw new CeremonyTooSmallError(constraints, ptau.power);
  progress('constraints', `${constraints} (${compiled.nonLinearConstraints} non-linear)`);

  const zkeyPath = join(work, 'circuit.zkey');
  // One step for both adapters (the native one writes no intermediate key): the same bytes either
  // way (phase2-setup.spec.ts), so the cache hash does not name the adapter.
  const setup = phase2Setup();
  await timed(
    'setup',
    `groth16 phase 2 (${setup.implementation}) on ${ptau.path}, public development beacon 2^${DEV_BEACON.iterationsExp}`,
    () => setup.setup(compiled.r1csPath, ptau.path, zkeyPath, DEV_BEACON),
  );
  const vkey = await timed('export', 'verification key and Solidity verifier', async () => {
    const key = await snarkjs.zKey.exportVerificationKey(zkeyPath);
    const template = readFileSync(join(snarkjsDir(), 'templates/verifier_groth16.sol.ejs'), 'utf8');
    writeFileSync(
      join(work, 'Groth16Verifier.sol'),
      await snarkjs.zKey.exportSolidityVerifier(zkeyPath, { groth16: template }),
    );
    return key;
  });
  writeFileSync(join(work, 'vkey.json'), JSON.stringify(vkey, null, 1));

  const artifacts: CircuitArtifacts = {
    dir,
    modelId,
    circuitHash: hash,
    step: options.step ?? null,
    ...buildFiles(dir),
    zkeySha256: fileSha256(join(work, 'circuit.zkey')),
    vkeySha256: fileSha256(join(work, 'vkey.json')),
    constraints,
    nonLinearConstraints: compiled.nonLinearConstraints,
    timings,
    cacheHit: false,
  };
  writeFileSync(join(work, MANIFEST), JSON.stringify(artifacts, null, 2));
  // Another process may have finished the same build meanwhile (parallel test workers): the first
  // complete build wins, so every caller uses one set of keys and no one deletes keys in use.
  const theirs = () => {
    rmSync(work, { recursive: true, force: true });
    return readManifest(location, timings)!;
  };
  if (existsSync(manifest)) return theirs();
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(work, dir);
  } catch (error) {
    if (!existsSync(manifest)) throw error;
    return theirs();
  }
  return artifacts;
}

/** Scratch directories of builds whose process is gone (killed mid-build). */
function removeAbandonedBuilds(dir: string) {
  const parent = dirname(dir);
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent)) {
    const match = new RegExp(`^${basename(dir)}\\.tmp-(\\d+)$`).exec(entry);
    if (match && !isAlive(Number(match[1]))) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false; // our own leftover from an earlier attempt
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
