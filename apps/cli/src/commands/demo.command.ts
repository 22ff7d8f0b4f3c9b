import { createChainClients, depositBond, devAccount, devPrivateKey, verilayClaimsAbi } from '@verilay/chain';
import {
  buildClaim,
  chainDeployment,
  freePort,
  VerifierProcess,
  WatcherProcess,
  type ClaimView,
} from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { modelToJson, parseModel, randomInput, randomModel, type Model } from '@verilay/inference';
import type { ClaimStatus } from '@verilay/protocol';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatEther } from 'viem';
import { modelRegister } from './model-register.command';

const REPO_ROOT = resolve(__dirname, '../../../../..');

export interface DemoOptions {
  claims: number;
  wrong: number;
  windowMs: number;
  model?: string;
  db?: string;
}

/** A model whose whole-inference circuit builds in seconds, so a dispute can end in a Groth16 proof. */
function demoModel(file?: string): Model {
  if (file) return parseModel(readFileSync(file, 'utf8'));
  return randomModel({ seed: 7, kind: 'mlp', sizes: [16, 8, 4], argmax: true, name: 'demo-mlp-16-8-4' });
}

/**
 * The whole story on embedded defaults: a verifier on its own anvil chain (contracts deployed),
 * a small model registered with its Groth16 verifier, a watcher run by a challenger, an operator
 * submitting honest and wrong claims. Honest claims turn final; wrong ones are disputed by the
 * watcher, proven wrong with a Groth16 proof, and slashed; the gas is printed.
 */
export async function runDemo(opts: DemoOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'verilay-demo-'));
  const db = opts.db ?? join(dir, 'verifier.sqlite');
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  const say = (line: string) => console.log(`[${elapsed()}] ${line}`);
  const cacheDir = join(REPO_ROOT, '.verilay/cache');

  say(
    `starting the verifier (database ${db}, embedded anvil chain, challenge window ${opts.windowMs / 1000} s)`,
  );
  const verifier = await VerifierProcess.start(join(REPO_ROOT, 'dist/apps/verifier/src/main.js'), {
    VERIFIER_DB: db,
    VERIFIER_CHALLENGE_WINDOW_MS: String(opts.windowMs),
    VERIFIER_DISPUTE_CLOCK_S: '30',
    VERIFIER_BATCH_INTERVAL_MS: '250',
    VERIFIER_ANVIL_PORT: String(await freePort()),
    VERILAY_CACHE_DIR: cacheDir,
  });
  let watcher: WatcherProcess | undefined;
  try {
    const client = verifier.client;
    const chain = await client.chain();
    say(
      `chain ${chain.rpcUrl} (id ${chain.chainId}): VerilayClaims ${chain.claims}, ModelRegistry ${chain.registry}`,
    );

    const model = demoModel(opts.model);
    const modelFile = join(dir, 'model.json');
    writeFileSync(modelFile, JSON.stringify(modelToJson(model)));
    say(
      `building ${model.name}'s circuit (cached in ${cacheDir}), deploying its Groth16 verifier, registering it`,
    );
    const silence = console.log;
    console.log = () => undefined; // modelRegister prints its JSON summary; the demo tells the story
    try {
      await modelRegister(modelFile, { verifier: verifier.url, devRegistrar: true, cacheDir });
    } finally {
      console.log = silence;
    }
    const { modelId } = await client.registerModel(modelToJson(model));
    say(`model ${modelId.slice(0, 10)}… registered on chain and with the verifier`);

    // The watcher's chain is given to it, not read from the verifier it polices (issue 11, finding 6).
    watcher = await WatcherProcess.start(join(REPO_ROOT, 'dist/apps/watcher/src/main.js'), {
      WATCHER_RPC_URL: chain.rpcUrl!,
      WATCHER_CHAIN_ID: String(chain.chainId),
      WATCHER_CLAIMS_CONTRACT: chain.claims,
      WATCHER_REGISTRY_CONTRACT: chain.registry,
      WATCHER_DEPLOY_BLOCK: chain.deployBlock,
      WATCHER_VERIFIER_URL: verifier.url,
      WATCHER_KEY: devPrivateKey(3),
      WATCHER_DB: join(dir, 'watcher.sqlite'),
      WATCHER_POLL_MS: '300',
      VERILAY_CACHE_DIR: cacheDir,
    });
    const challenger = devAccount(3).address;
    say(`watcher running for challenger ${challenger}`);

    const committer = await createTensorCommitter();
    const operator = devAccount(2);
    const reader = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(7));
    const read = <T>(functionName: string, args: unknown[]) =>
      reader.public.readContract({
        address: chain.claims,
        abi: verilayClaimsAbi,
        functionName,
        args,
      } as never) as Promise<T>;
    await depositBond(
      createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, operator),
      chainDeployment(chain),
      // The verifier accepts an operator's claims only while its bond covers a dispute stake
      // (0.1 ETH on the embedded chain) for each.
      BigInt(Math.max(10, opts.claims)) * 10n ** 17n,
    );
    const bondBefore = (await read<{ bond: bigint }>('account', [operator.address])).bond;
    say(`operator ${operator.address} bonded ${formatEther(bondBefore)} ETH`);
    const challengerBefore = await reader.public.getBalance({ address: challenger });

    const submissions = [];
    for (let i = 0; i < opts.claims; i++) {
      const wrong = i >= opts.claims - opts.wrong;
      submissions.push(
        await buildClaim({
          model,
          input: randomInput(model, i + 1),
          taskId: toHex32(BigInt(i + 1)),
          account: operator,
          domain: chain.domain,
          committer,
          salt: BigInt(1000 + i),
          // A lying operator: claims another class than the model gives.
          ...(wrong ? { lie: (out: Int32Array) => out.map((v) => (v + 1) % 4) } : {}),
        }),
      );
    }
    const { claims } = await client.submitClaims(submissions);
    const honesty = submissions.map((s, i) => (i >= opts.claims - opts.wrong ? 'WRONG' : 'honest'));
    say(`operator ${operator.address} submitted ${claims.length} signed claims: ${honesty.join(', ')}`);

    const seen = new Map<string, ClaimStatus>();
    const deadline = Date.now() + opts.windowMs + 180_000;
    const settled = () => [...seen.values()].filter((s) => s === 'final' || s === 'slashed').length;
    while (settled() < claims.length) {
      if (Date.now() > deadline) throw new Error('claims did not settle in time');
      if (verifier.child.exitCode !== null) throw new Error(`verifier exited:\n${verifier.output()}`);
      for (const [i, { claimId }] of claims.entries()) {
        const view: ClaimView = await client.getClaim(claimId);
        if (seen.get(claimId) === view.status) continue;
        const detail =
          view.status === 'posted' && view.batch?.chainIndex != null
            ? ` (batch ${view.batch.chainIndex} on chain, window ends ${view.batch.windowEndsAt})`
            : view.reason
              ? ` (${view.reason})`
              : '';
        say(
          `claim ${i + 1} ${claimId.slice(0, 10)}… [${honesty[i]}] ${seen.get(claimId) ?? 'new'} -> ${view.status}${detail}`,
        );
        seen.set(claimId, view.status);
      }
      await sleep(250);
    }
    const final = [...seen.values()].filter((s) => s === 'final').length;
    const slashed = [...seen.values()].filter((s) => s === 'slashed').length;
    say(`all ${claims.length} claims settled: ${final} final, ${slashed} slashed`);

    await sleep(1500); // the watcher withdraws its winnings
    const bondAfter = (await read<{ bond: bigint }>('account', [operator.address])).bond;
    const challengerAfter = await reader.public.getBalance({ address: challenger });
    say(
      `operator bond ${formatEther(bondBefore)} -> ${formatEther(bondAfter)} ETH (slashed ${formatEther(bondBefore - bondAfter)})`,
    );
    say(`challenger balance change, after its gas: ${formatEther(challengerAfter - challengerBefore)} ETH`);
    const gas = (text: string, name: string) =>
      [...text.matchAll(new RegExp(`${name}\\{action="(\\w+)"\\} (\\d+)`, 'g'))].map(
        (m) => `${m[1]} ${Number(m[2]).toLocaleString('en-US')}`,
      );
    say(
      `verifier gas: ${gas(await (await fetch(`${verifier.url}/metrics`)).text(), 'verilay_chain_gas_used_total').join(', ') || 'none'}`,
    );
    say(`Databases kept in ${dir}`);
  } finally {
    await watcher?.stop();
    await verifier.stop();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
