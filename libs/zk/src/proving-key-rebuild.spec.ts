// Finding 7 of issue 11: proving keys must be rebuildable and checked. Two builds of the same
// circuit in two fresh cache directories (a defender after a cache miss, an auditor) give the
// registered key byte for byte; a key that does not match the registered verifier is refused
// before any proof. Two cold builds of the smallest circuit: about ten seconds each on 2 cores.
import { chainWithRegisteredVerifier } from './registered-chain.spec-helper';
import {
  checkProvingKey,
  modelRegistryAbi,
  provingKeyCheck,
  ProvingKeyMismatchError,
  toSolidityProof,
  type AnvilInstance,
  type ChainClients,
  type DeployedContracts,
} from '@verilay/chain';
import { randomInput, randomModel } from '@verilay/inference';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as snarkjs from 'snarkjs';
import { buildCircuit, type CircuitArtifacts } from './build-circuit';
import { snarkjsDir } from './paths';
import { Prover, releaseProverThreads } from './prover';
import { ProverPool } from './prover-pool';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('proving keys rebuilt from scratch (finding 7)', () => {
  const model = randomModel({ seed: 71, kind: 'mlp', sizes: [3, 2], name: 'rebuild' });
  const dirs: string[] = [];
  let anvil: AnvilInstance;
  let clients: ChainClients;
  let deployment: DeployedContracts;
  let registered: CircuitArtifacts;
  let rebuilt: CircuitArtifacts;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'verilay-rebuild-')));
    // The registrar's build, then an honest defender's after a cache miss (a fresh directory).
    registered = await buildCircuit(model, { cacheDir: dirs[0] });
    rebuilt = await buildCircuit(model, { cacheDir: dirs[1] });
    ({ anvil, clients, deployment } = await chainWithRegisteredVerifier(registered, model));
  }, 600_000);

  afterAll(async () => {
    await anvil?.stop();
    await releaseProverThreads();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Checks a proof made with `artifacts` through the registry's reverting wrapper. */
  const verifyOnChain = async (artifacts: CircuitArtifacts) => {
    const proof = await (await Prover.load(model, artifacts)).prove(randomInput(model, 3), 5n);
    return clients.public
      .readContract({
        address: deployment.registry,
        abi: modelRegistryAbi,
        functionName: 'verifyInference',
        args: [
          registered.modelId,
          BigInt(proof.inputCommitment),
          BigInt(proof.outputCommitment),
          toSolidityProof(proof.proof),
        ],
      })
      .then(
        () => 'verified',
        (e: Error) => `reverted: ${e.message.split('\n')[0]}`,
      );
  };

  it('a rebuild of the same circuit in a fresh cache gives the byte-identical key (finding 7)', () => {
    expect(rebuilt.cacheHit).toBe(false);
    expect(rebuilt.circuitHash).toBe(registered.circuitHash);
    expect(sha256(rebuilt.zkeyPath)).toBe(sha256(registered.zkeyPath));
    expect(rebuilt.zkeySha256).toBe(sha256(registered.zkeyPath)); // the manifest names the content
    expect(rebuilt.vkeySha256).toBe(registered.vkeySha256);
    expect(readFileSync(rebuilt.verifierSolPath, 'utf8')).toBe(
      readFileSync(registered.verifierSolPath, 'utf8'),
    );
  });

  it("the rebuilt key's proof passes the registered verifier (finding 7)", async () => {
    expect(await verifyOnChain(registered)).toBe('verified');
    expect(await verifyOnChain(rebuilt)).toBe('verified');
  }, 120_000);

  it('a prover checked against the chain proves with the rebuilt key', async () => {
    const pool = new ProverPool({ cacheDir: dirs[1], checkKey: provingKeyCheck(clients, deployment) });
    const prover = await pool.get(model);
    expect(prover.artifacts.zkeySha256).toBe(registered.zkeySha256);
    expect(await prover.verify(await prover.prove(randomInput(model, 4)))).toBe(true);
  }, 120_000);

  it('refuses, before proving, a key that does not match the registered verifier (finding 7)', async () => {
    // Yesterday's build: the same circuit with a contribution from random bytes.
    const dir = mkdtempSync(join(tmpdir(), 'verilay-rebuild-'));
    dirs.push(dir);
    cpSync(dirs[1], dir, { recursive: true });
    const at = (path: string) => join(dir, relative(dirs[1], path));
    const zkey = at(rebuilt.zkeyPath);
    await snarkjs.zKey.contribute(rebuilt.zkeyPath, zkey, 'random', 'entropy not from the beacon');
    const template = readFileSync(join(snarkjsDir(), 'templates/verifier_groth16.sol.ejs'), 'utf8');
    writeFileSync(
      at(rebuilt.verifierSolPath),
      await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template }),
    );
    const manifest = at(join(rebuilt.dir, 'build.json'));
    // Yesterday's manifest recorded yesterday's key.
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').split(dirs[1]).join(dir).split(rebuilt.zkeySha256).join(sha256(zkey)),
    );

    const pool = new ProverPool({ cacheDir: dir, checkKey: provingKeyCheck(clients, deployment) });
    const refusal = await pool.get(model).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ProvingKeyMismatchError);
    expect((refusal as ProvingKeyMismatchError).shortMessage).toMatch(
      /does not match the verifier registered at 0x/,
    );
    // And a model with no registered verifier is refused too.
    await expect(
      checkProvingKey(clients, deployment, { ...registered, modelId: `0x${'ab'.repeat(32)}` }),
    ).rejects.toThrow(/has no verifier registered on chain/);
    await expect(checkProvingKey(clients, deployment, { ...registered, step: 0 })).rejects.toThrow(
      ProvingKeyMismatchError,
    );
  }, 120_000);
});
