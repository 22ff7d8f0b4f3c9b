// Finding 7 of issue 11: proving keys must be rebuildable. Two builds of the same circuit in two
// fresh cache directories (a defender after a cache miss, an auditor) must give the registered key.
// Two cold builds of the smallest circuit: about half a minute each on 2 cores.
import {
  compileGroth16Verifier,
  createChainClients,
  defaultClaimsParameters,
  deployBytecode,
  deployContracts,
  devAccount,
  modelRegistryAbi,
  registerModel,
  startAnvil,
  toSolidityProof,
  type AnvilInstance,
  type ChainClients,
  type DeployedContracts,
} from '@verilay/chain';
import { randomInput, randomModel } from '@verilay/inference';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCircuit, type CircuitArtifacts } from './build-circuit';
import { Prover, releaseProverThreads } from './prover';

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
    anvil = await startAnvil();
    clients = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(0));
    deployment = await deployContracts(clients, defaultClaimsParameters(devAccount(9).address));
    const verifier = await deployBytecode(
      clients,
      'Groth16Verifier',
      compileGroth16Verifier(readFileSync(registered.verifierSolPath, 'utf8')),
    );
    await registerModel(clients, deployment, {
      modelId: registered.modelId,
      wholeVerifier: verifier.address,
      traceLength: model.layers.length,
    });
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

  it('REPRODUCES finding 7: a rebuild of the same circuit gives another key', () => {
    expect(rebuilt.circuitHash).toBe(registered.circuitHash);
    expect(sha256(rebuilt.zkeyPath)).not.toBe(sha256(registered.zkeyPath));
    expect(readFileSync(rebuilt.vkeyPath, 'utf8')).not.toBe(readFileSync(registered.vkeyPath, 'utf8'));
  });

  it("REPRODUCES finding 7: the rebuilt key's proof fails the registered verifier", async () => {
    expect(await verifyOnChain(registered)).toBe('verified');
    expect(await verifyOnChain(rebuilt)).toMatch(/^reverted/);
  }, 120_000);
});
