// Time from a wrong batch's posting to the watcher's dispute transaction, in blocks and seconds,
// with the verifier (embedded anvil, a block per second) and a watcher as real processes.
// `npm run bench:latency` rewrites its section of docs/benchmarks.md; `npm run bench` includes it.
import { createChainClients, devAccount, devPrivateKey, verilayClaimsAbi } from '@verilay/chain';
import { buildClaim, freePort, VerifierProcess, WatcherProcess } from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel } from '@verilay/inference';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelRegister } from '../apps/cli/src/commands/model-register.command';
import { sectionMarkers, writeSection } from './bench-sections';

export const LATENCY_SECTION_MARKERS = sectionMarkers('latency', 'bench/dispute-latency.bench.ts');
const ROUNDS = 5;
const POLL_MS = 500;

export async function benchDisputeLatency(): Promise<string> {
  const root = join(__dirname, '../..');
  const dir = mkdtempSync(join(tmpdir(), 'verilay-latency-'));
  const cacheDir = join(root, '.verilay/cache');
  const verifier = await VerifierProcess.start(join(root, 'dist/apps/verifier/src/main.js'), {
    VERIFIER_DB: join(dir, 'verifier.sqlite'),
    VERIFIER_ANVIL_PORT: String(await freePort()),
    VERIFIER_CHALLENGE_WINDOW_MS: '120000',
    VERIFIER_BATCH_INTERVAL_MS: '250',
    VERILAY_CACHE_DIR: cacheDir,
  });
  let watcher: WatcherProcess | undefined;
  try {
    const chain = await verifier.client.chain();
    const model = randomModel({
      seed: 7,
      kind: 'mlp',
      sizes: [16, 8, 4],
      argmax: true,
      name: 'demo-mlp-16-8-4',
    });
    const file = join(dir, 'model.json');
    writeFileSync(file, JSON.stringify(modelToJson(model)));
    const log = console.log;
    console.log = () => undefined;
    await modelRegister(file, { verifier: verifier.url, devRegistrar: true, cacheDir }).finally(
      () => (console.log = log),
    );
    await verifier.client.registerModel(modelToJson(model));
    watcher = await WatcherProcess.start(join(root, 'dist/apps/watcher/src/main.js'), {
      WATCHER_RPC_URL: chain.rpcUrl!,
      WATCHER_CHAIN_ID: String(chain.chainId),
      WATCHER_CLAIMS_CONTRACT: chain.claims,
      WATCHER_REGISTRY_CONTRACT: chain.registry,
      WATCHER_DEPLOY_BLOCK: chain.deployBlock,
      WATCHER_VERIFIER_URL: verifier.url,
      WATCHER_KEY: devPrivateKey(3),
      WATCHER_DB: join(dir, 'watcher.sqlite'),
      WATCHER_POLL_MS: String(POLL_MS),
      VERILAY_CACHE_DIR: cacheDir,
    });
    const reader = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(7));
    const committer = await createTensorCommitter();
    const samples: { blocks: number; seconds: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const claim = await buildClaim({
        model,
        input: randomInput(model, round),
        taskId: toHex32(BigInt(round)),
        account: devAccount(2),
        domain: chain.domain,
        committer,
        lie: (out) => out.map((v) => (v + 1) % 4),
      });
      const [{ claimId }] = (await verifier.client.submitClaims([claim])).claims;
      for (;;) {
        const events = await reader.public.getContractEvents({
          address: chain.claims,
          abi: verilayClaimsAbi,
          fromBlock: BigInt(chain.deployBlock),
        });
        const opened = events.find((e) => e.eventName === 'DisputeOpened' && e.args.leaf === claimId);
        if (opened) {
          const view = await verifier.client.getClaim(claimId);
          const posted = events.find(
            (e) => e.eventName === 'BatchPosted' && Number(e.args.batchIndex) === view.batch!.chainIndex,
          );
          const [a, b] = await Promise.all(
            [posted!.blockNumber, opened.blockNumber].map((n) => reader.public.getBlock({ blockNumber: n })),
          );
          samples.push({ blocks: Number(b.number - a.number), seconds: Number(b.timestamp - a.timestamp) });
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)];
    const blocks = samples.map((s) => s.blocks);
    const seconds = samples.map((s) => s.seconds);
    return [
      `One wrong claim per batch, ${ROUNDS} rounds; embedded anvil mining a block per second; watcher polling every ${POLL_MS} ms, replaying on its CPU worker threads; the claim's model is a 16-8-4 MLP.`,
      '',
      '| from BatchPosted to DisputeOpened | median | max | all |',
      '|---|---:|---:|---|',
      `| blocks | ${median(blocks)} | ${Math.max(...blocks)} | ${blocks.join(', ')} |`,
      `| seconds (block timestamps) | ${median(seconds)} | ${Math.max(...seconds)} | ${seconds.join(', ')} |`,
    ].join('\n');
  } finally {
    await watcher?.stop();
    await verifier.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchDisputeLatency()
    .then((table) => {
      writeSection(join(__dirname, '../../docs/benchmarks.md'), LATENCY_SECTION_MARKERS, table);
      console.log(table);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
