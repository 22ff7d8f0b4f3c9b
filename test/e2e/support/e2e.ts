import {
  createChainClients,
  depositBond,
  devAccount,
  devPrivateKey,
  provideSignature,
  readDispute,
  registerModel,
  revealMidpoint,
  verilayClaimsAbi,
  type ChainClients,
  type VerilayDeployment,
} from '@verilay/chain';
import type { TraceTree } from '@verilay/commitments';
import type { ClaimFields } from '@verilay/protocol';
import {
  chainDeployment,
  type ChainView,
  type ClaimView,
  type VerifierClient,
  type VerifierProcess,
} from '@verilay/client';
import { computeModelId, modelToJson, type Model } from '@verilay/inference';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(__dirname, '../../..');
export const VERIFIER_ENTRY = join(ROOT, 'dist/apps/verifier/src/main.js');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export const WATCHER_ENTRY = join(ROOT, 'dist/apps/watcher/src/main.js');
export const CLI_ENTRY = join(ROOT, 'dist/apps/cli/src/main.js');

/** The circuit cache the contract specs, the e2e tests and their CLI calls share. */
export const TEST_CACHE = join(ROOT, '.verilay/test-cache');

/**
 * A watcher on a verifier's dev chain, polling every 300 ms on one replay thread. Its chain is its
 * own configuration (here the test's view of the dev chain), never the verifier's GET /v1/chain.
 */
export function watcherEnv(
  chain: ChainView,
  verifierUrl: string,
  db: string,
  key = devPrivateKey(3),
): Record<string, string> {
  return {
    WATCHER_RPC_URL: chain.rpcUrl!,
    WATCHER_CHAIN_ID: String(chain.chainId),
    WATCHER_CLAIMS_CONTRACT: chain.claims,
    WATCHER_REGISTRY_CONTRACT: chain.registry,
    WATCHER_DEPLOY_BLOCK: chain.deployBlock,
    WATCHER_VERIFIER_URL: verifierUrl,
    WATCHER_KEY: key,
    WATCHER_DB: db,
    WATCHER_POLL_MS: '300',
    WATCHER_THREADS: '1',
    VERILAY_CACHE_DIR: TEST_CACHE,
  };
}

/**
 * `verilay model register` on a verifier's embedded chain, as its deployer: writes the model to
 * `dir`, builds its circuits in the test cache, deploys the verifiers and registers them.
 */
export async function registerOnChain(
  dir: string,
  verifierUrl: string,
  model: Model,
  ...flags: string[]
): Promise<{ modelId: string; wholeVerifier: string | null; stepVerifiers: string[] }> {
  const file = join(dir, `${model.name}.json`);
  writeFileSync(file, JSON.stringify(modelToJson(model)));
  const { stdout } = await promisify(execFile)(process.execPath, [
    CLI_ENTRY,
    'model',
    'register',
    file,
    '--verifier',
    verifierUrl,
    '--dev-registrar',
    '--cache-dir',
    TEST_CACHE,
    ...flags,
  ]);
  return JSON.parse(stdout);
}

/** Waits until the verifier has posted the claim's batch on chain; returns the batch. */
export async function batchOnChain(
  client: VerifierClient,
  claimId: `0x${string}`,
  timeoutMs = 30_000,
): Promise<NonNullable<ClaimView['batch']>> {
  return eventually(
    async () => {
      const b = (await client.getClaim(claimId)).batch;
      return b?.chainIndex !== null && b?.chainIndex !== undefined ? b : undefined;
    },
    timeoutMs,
    'the batch on chain',
  );
}

/** Waits until the verifier reports the claim `final`. */
export async function finalAtVerifier(client: VerifierClient, claimId: `0x${string}`, timeoutMs: number) {
  await eventually(
    async () => ((await client.getClaim(claimId)).status === 'final' ? true : undefined),
    timeoutMs,
    'final',
  );
}

/**
 * Registers `model` at the verifier and in the chain's registry with stand-in verifiers (the
 * claims contract's address: a test that uses this proves nothing), then bonds dev account
 * `operator` with `bond`. Returns the verifier's chain, its deployment and the operator's clients.
 */
export async function standInModel(
  verifier: VerifierProcess,
  model: Model,
  options: { settle: 'whole' | 'steps'; operator: number; bond: bigint },
) {
  const chain = await verifier.client.chain();
  const deployment = chainDeployment(chain);
  const connection = { rpcUrl: chain.rpcUrl!, chainId: chain.chainId };
  await verifier.client.registerModel(modelToJson(model));
  await registerModel(createChainClients(connection, devAccount(0)), deployment, {
    modelId: computeModelId(model),
    ...(options.settle === 'whole'
      ? { wholeVerifier: deployment.claims }
      : { stepVerifiers: model.layers.map(() => deployment.claims) }),
    traceLength: model.layers.length,
  });
  const operator = createChainClients(connection, devAccount(options.operator));
  await depositBond(operator, deployment, options.bond);
  return { chain, deployment, connection, operator };
}

/** The first dispute opened on the claim contract: its id, once there is one. */
export function firstDispute(
  clients: Pick<ChainClients, 'public'>,
  deployment: VerilayDeployment,
  timeoutMs: number,
  what: string,
): Promise<bigint> {
  return eventually(
    async () => {
      const count = await clients.public.readContract({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        functionName: 'disputeCount',
      });
      return count > 0n ? count : undefined;
    },
    timeoutMs,
    what,
  );
}

/**
 * A lying operator defends its claim as far as it can: it shows its signature when asked and
 * reveals true midpoints of `trace` (waiting `moveDelayMs` before each), so the bisection narrows
 * to the step where its claimed output is wrong. Returns the resolved dispute; throws past
 * `timeoutMs`, naming where the game stood.
 */
export async function defendWithTrueMidpoints(
  operator: ChainClients,
  deployment: VerilayDeployment,
  disputeId: bigint,
  claim: ClaimFields & { signature: `0x${string}` },
  trace: TraceTree,
  options: { timeoutMs: number; moveDelayMs?: number },
) {
  const end = Date.now() + options.timeoutMs;
  let d = await readDispute(operator, deployment, disputeId);
  while (d.phaseName !== 'resolved') {
    if (Date.now() > end) throw new Error(`dispute ${disputeId} still ${d.phaseName} at [${d.lo}, ${d.hi}]`);
    if (d.phaseName === 'await-signature')
      await provideSignature(operator, deployment, disputeId, claim, claim.signature);
    else if (d.phaseName === 'await-reveal') {
      if (options.moveDelayMs) await sleep(options.moveDelayMs);
      const mid = Math.floor((d.lo + d.hi) / 2);
      await revealMidpoint(operator, deployment, disputeId, trace.commitments[mid], trace.proof(mid));
    } else await sleep(200);
    d = await readDispute(operator, deployment, disputeId);
  }
  return d;
}
