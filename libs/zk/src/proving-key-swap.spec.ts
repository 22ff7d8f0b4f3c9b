// Review of finding 7 (issue 11): the key check must look at the proving key actually used. A
// cache whose circuit.zkey was replaced (another circuit's key, a mixed-up copy) next to the
// original Groth16Verifier.sol must be refused before proving: its proofs fail on chain, and an
// honest defender would lose a true claim on timeout. Reuses the contract specs' cached builds
// (.verilay/test-cache); copies go to temp directories, the shared cache is never written.
import { chainWithRegisteredVerifier } from './registered-chain.spec-helper';
import {
  checkProvingKey,
  provingKeyCheck,
  ProvingKeyMismatchError,
  type AnvilInstance,
  type ChainClients,
  type DeployedContracts,
} from '@verilay/chain';
import { randomModel } from '@verilay/inference';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildCircuit, fileSha256, readCircuitBuild, type CircuitArtifacts } from './build-circuit';
import { releaseProverThreads } from './prover';
import { ProverPool } from './prover-pool';

/** The contract specs' cache and models (contracts/test/support/zk-models.ts). */
const TEST_CACHE = join(__dirname, '../../../.verilay/test-cache');
const validity = randomModel({ seed: 5, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'validity' });
const bisection = randomModel({ seed: 6, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'bisection' });

describe('proving key check against the key actually used (finding 7 review)', () => {
  const dirs: string[] = [];
  let anvil: AnvilInstance;
  let clients: ChainClients;
  let deployment: DeployedContracts;
  let registered: CircuitArtifacts;
  let other: CircuitArtifacts;

  beforeAll(async () => {
    registered = await buildCircuit(validity, { cacheDir: TEST_CACHE });
    other = await buildCircuit(bisection, { cacheDir: TEST_CACHE, step: 0 });
    ({ anvil, clients, deployment } = await chainWithRegisteredVerifier(registered, validity));
  }, 300_000);

  afterAll(async () => {
    await anvil?.stop();
    await releaseProverThreads();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the registered build in a fresh cache root, its manifest naming the copy's files. */
  const copyOfRegistered = () => {
    const root = mkdtempSync(join(tmpdir(), 'verilay-swap-'));
    dirs.push(root);
    const dir = join(root, relative(TEST_CACHE, registered.dir));
    cpSync(registered.dir, dir, { recursive: true });
    const manifest = join(dir, 'build.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').split(registered.dir).join(dir));
    return { root, dir, manifest };
  };

  it('the check passes for an intact copy of the registered build', async () => {
    const { root } = copyOfRegistered();
    const pool = new ProverPool({ cacheDir: root, checkKey: provingKeyCheck(clients, deployment) });
    expect((await pool.get(validity)).artifacts.zkeySha256).toBe(registered.zkeySha256);
  }, 120_000);

  it('finding 7 review fixed: a cache whose zkey is another circuit’s is refused before proving', async () => {
    const { root, dir } = copyOfRegistered();
    copyFileSync(other.zkeyPath, join(dir, 'circuit.zkey')); // Groth16Verifier.sol left alone
    const swapped = readCircuitBuild(dir)!;
    expect(fileSha256(swapped.zkeyPath)).toBe(other.zkeySha256);

    await expect(checkProvingKey(clients, deployment, swapped)).rejects.toMatchObject({
      code: 'PROVING_KEY_MISMATCH',
      shortMessage: expect.stringMatching(/is not the key its build recorded/),
    });
    const pool = new ProverPool({ cacheDir: root, checkKey: provingKeyCheck(clients, deployment) });
    await expect(pool.get(validity)).rejects.toBeInstanceOf(ProvingKeyMismatchError);
  }, 120_000);

  it('finding 7 review fixed: a manifest rewritten to the swapped key’s sha256 is refused too', async () => {
    const { root, dir, manifest } = copyOfRegistered();
    copyFileSync(other.zkeyPath, join(dir, 'circuit.zkey'));
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').split(registered.zkeySha256).join(other.zkeySha256),
    );
    // The verifier is derived from the key itself, not from the cached Groth16Verifier.sol.
    await expect(checkProvingKey(clients, deployment, readCircuitBuild(dir)!)).rejects.toMatchObject({
      code: 'PROVING_KEY_MISMATCH',
      shortMessage: expect.stringMatching(/does not match the verifier registered at 0x/),
    });
    const pool = new ProverPool({ cacheDir: root, checkKey: provingKeyCheck(clients, deployment) });
    await expect(pool.get(validity)).rejects.toBeInstanceOf(ProvingKeyMismatchError);
  }, 120_000);
});
