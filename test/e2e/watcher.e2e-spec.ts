// A challenger's watcher against a verifier on its embedded chain, both as real processes: honest
// claims finalize untouched; wrong ones are disputed and slashed, even across a SIGKILL of the
// watcher in mid-dispute; two watchers do not both bond the same claim.
import { createChainClients, depositBond, devAccount, devPrivateKey, verilayClaimsAbi } from '@verilay/chain';
import {
  buildClaim,
  chainDeployment,
  freePort,
  VerifierProcess,
  WatcherProcess,
  type ChainView,
} from '@verilay/client';
import { createTensorCommitter, toHex32 } from '@verilay/commitments';
import { modelToJson, randomInput, randomModel, type Model } from '@verilay/inference';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventually,
  registerOnChain,
  TEST_CACHE as CACHE,
  VERIFIER_ENTRY,
  WATCHER_ENTRY,
} from './support/e2e';

describe('watcher (e2e)', () => {
  const validity = randomModel({ seed: 5, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'validity' });
  const bisection = randomModel({ seed: 6, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'bisection' });
  let dir: string;
  let verifier: VerifierProcess;
  let chain: ChainView;
  const watchers: WatcherProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-watcher-e2e-'));
    verifier = await VerifierProcess.start(VERIFIER_ENTRY, {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '45000',
      VERIFIER_DISPUTE_CLOCK_S: '12',
      VERIFIER_BATCH_INTERVAL_MS: '200',
      VERILAY_CACHE_DIR: CACHE,
    });
    chain = await verifier.client.chain();
    const register = async (model: Model, ...flags: string[]) => {
      await registerOnChain(dir, verifier.url, model, ...flags);
      await verifier.client.registerModel(modelToJson(model));
    };
    await register(validity);
    await register(bisection, '--steps', '--no-whole');
    // The verifier posts only claims whose operator's bond covers a dispute stake for each.
    const operator = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(2));
    await depositBond(operator, chainDeployment(chain), 2n * 10n ** 18n);
  }, 600_000);

  afterAll(async () => {
    for (const w of watchers) await w.stop();
    await verifier?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // The watcher's chain is its own configuration (here: the test's view of the dev chain), never
  // the verifier's GET /v1/chain (issue 11, finding 6).
  const watcherEnv = (i: number) => ({
    WATCHER_RPC_URL: chain.rpcUrl!,
    WATCHER_CHAIN_ID: String(chain.chainId),
    WATCHER_CLAIMS_CONTRACT: chain.claims,
    WATCHER_REGISTRY_CONTRACT: chain.registry,
    WATCHER_DEPLOY_BLOCK: chain.deployBlock,
    WATCHER_VERIFIER_URL: verifier.url,
    WATCHER_KEY: devPrivateKey(3 + i),
    WATCHER_DB: join(dir, `watcher-${i}.sqlite`),
    WATCHER_POLL_MS: '300',
    WATCHER_THREADS: '1',
    VERILAY_CACHE_DIR: CACHE,
    // Where a GPU is required (CI: lavapipe, a software adapter that `auto` passes over), the
    // first watcher checks on it.
    ...(i === 0 && process.env.VERILAY_REQUIRE_GPU === '1' ? { VERILAY_EXECUTOR: 'gpu' } : {}),
  });

  it('disputes and slashes wrong claims, leaves honest ones final, and survives a SIGKILL mid-dispute', async () => {
    const ports = [await freePort(), await freePort()];
    watchers[0] = await WatcherProcess.start(WATCHER_ENTRY, watcherEnv(0), ports[0]);
    watchers[1] = await WatcherProcess.start(WATCHER_ENTRY, watcherEnv(1), ports[1]);

    const committer = await createTensorCommitter();
    let task = 0;
    const claim = (model: Model, seed: number, lie: boolean) =>
      buildClaim({
        model,
        input: randomInput(model, seed),
        taskId: toHex32(BigInt(++task)),
        account: devAccount(2),
        domain: chain.domain,
        committer,
        salt: 77n,
        ...(lie ? { lie: (out: Int32Array) => out.map((v) => v + 1) } : {}),
      });
    const submissions = [
      await claim(validity, 1, false),
      await claim(bisection, 2, false),
      await claim(validity, 3, true),
      await claim(bisection, 4, true),
    ];
    const ids = (await verifier.client.submitClaims(submissions)).claims.map((c) => c.claimId);

    const reader = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(7));
    const disputedLeaves = async () => {
      const at = { address: chain.claims, abi: verilayClaimsAbi } as const;
      const count = await reader.public.readContract({ ...at, functionName: 'disputeCount' });
      const leaves = new Set<string>();
      for (let id = 1n; id <= count; id++)
        leaves.add((await reader.public.readContract({ ...at, functionName: 'dispute', args: [id] })).leaf);
      return leaves;
    };
    // Both lying claims get disputed...
    await eventually(
      async () => {
        const leaves = await disputedLeaves();
        return leaves.has(ids[2]) && leaves.has(ids[3]) ? true : undefined;
      },
      60_000,
      'disputes opened',
    );
    // The first watcher's checks ran on the GPU where one is required (CI's lavapipe): every
    // check a job, a wrong one confirmed on the CPU before its dispute.
    const before = (await watchers[0].health()).executors.checks;
    if (process.env.VERILAY_REQUIRE_GPU === '1')
      expect(before).toMatchObject({ kind: 'gpu', lost: false, cpuFallbackJobs: 0 });
    if (before.kind === 'gpu') expect(before.jobs).toBeGreaterThanOrEqual(4);
    // ...and whichever watcher holds them is killed in the middle, then restarted on its database.
    await watchers[0].kill();
    await watchers[1].kill();
    watchers[0] = await WatcherProcess.start(WATCHER_ENTRY, watcherEnv(0), ports[0]);
    watchers[1] = await WatcherProcess.start(WATCHER_ENTRY, watcherEnv(1), ports[1]);

    const status = async () =>
      Promise.all(ids.map(async (id) => (await verifier.client.getClaim(id)).status));
    let last: string[] = [];
    await eventually(
      async () => {
        last = await status();
        return last.join() === 'final,final,slashed,slashed' ? last : undefined;
      },
      150_000,
      'honest claims final, lying ones slashed',
    ).catch((e) => {
      throw new Error(
        `${e.message}: ${last.join()}\n${watchers[1].output().slice(-3000)}\n${verifier.output().slice(-2000)}`,
      );
    });

    // One dispute per lying claim: no second bond, no dispute on an honest claim.
    expect(
      await reader.public.readContract({
        address: chain.claims,
        abi: verilayClaimsAbi,
        functionName: 'disputeCount',
      }),
    ).toBe(2n);
    const challengerWon = new Map<string, boolean>();
    for (let id = 1n; id <= 2n; id++) {
      const d = await reader.public.readContract({
        address: chain.claims,
        abi: verilayClaimsAbi,
        functionName: 'dispute',
        args: [id],
      });
      challengerWon.set(d.leaf, d.challengerWon);
    }
    expect([challengerWon.get(ids[2]), challengerWon.get(ids[3])]).toEqual([true, true]); // both slashed
    // The winnings are withdrawn: no credit left with the contract.
    await eventually(
      async () => {
        const credits = await Promise.all(
          [3, 4].map((i) =>
            reader.public.readContract({
              address: chain.claims,
              abi: verilayClaimsAbi,
              functionName: 'credit',
              args: [devAccount(i).address],
            }),
          ),
        );
        return credits.every((c) => c === 0n) ? true : undefined;
      },
      20_000,
      'winnings withdrawn',
    );
    const metrics = (await watchers[0].metrics()) + (await watchers[1].metrics());
    // (Counters restart with the process; the wins came after the restart.)
    const won = [...metrics.matchAll(/verilay_watcher_disputes_total\{event="won"\} (\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(won.reduce((a, b) => a + b, 0)).toBe(2);
    for (const w of watchers) expect(await w.health()).toMatchObject({ status: 'ok', openDisputes: 0 });
    expect(metrics).toMatch(/verilay_watcher_lag_blocks \d+/);
    // After the restart: checks on the GPU where one is required (the first watcher in CI), else
    // where `auto` finds a hardware one, else on CPU threads; dispute replays (each move after the
    // restart replayed) always on CPU threads.
    const executors = await Promise.all(watchers.map(async (w) => (await w.health()).executors));
    for (const { checks, disputes, confirmations } of executors) {
      expect(disputes).toMatchObject({ kind: 'cpu', lost: false });
      // A GPU's "wrong" is confirmed on a CPU thread of its own, never ahead of a dispute move.
      if (checks.kind === 'gpu') expect(confirmations).toMatchObject({ kind: 'cpu', lost: false });
      else expect(confirmations).toBeUndefined();
      expect(checks).toMatchObject({
        kind: expect.stringMatching(/^(gpu|cpu)$/),
        lost: false,
        cpuFallbackJobs: 0,
      });
      if (checks.kind === 'gpu') expect(checks.adapter?.name).toEqual(expect.any(String));
      else expect(checks.fallbackReason).toMatch(/^no usable GPU: /);
    }
    if (process.env.VERILAY_REQUIRE_GPU === '1') expect(executors[0].checks).toMatchObject({ kind: 'gpu' });
    expect(metrics).toMatch(/verilay_replay_executor_info\{queue="checks",kind="(gpu|cpu)",adapter="[^"]*"/);
  }, 300_000);

  it('is not fooled by task data that does not match the claim: no bond on an honest claim', async () => {
    // A verifier (or anything in between) that serves tampered inputs, and a tampered model the
    // first time the watcher asks for one.
    let modelsServed = 0;
    const proxy = createServer(async (req, res) => {
      const upstream = await fetch(`${verifier.url}${req.url}`, {
        headers: req.headers.accept ? { accept: req.headers.accept } : {},
      });
      let body = Buffer.from(await upstream.arrayBuffer());
      const type = upstream.headers.get('content-type') ?? 'application/json';
      if (/^\/v1\/tasks\/0x[0-9a-f]+\/input$/.test(req.url ?? '') && upstream.ok) {
        const task = JSON.parse(body.toString('utf8')) as { data: number[] };
        task.data[0] = task.data[0] === 0 ? 1 : 0;
        body = Buffer.from(JSON.stringify(task));
      }
      if (type.startsWith('application/vnd.verilay.model') && modelsServed++ === 0)
        body[body.length - 1] ^= 1; // one bit of the last layer's parameters
      res.writeHead(upstream.status, { 'content-type': type }).end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      watchers[2] = await WatcherProcess.start(WATCHER_ENTRY, {
        ...watcherEnv(2),
        WATCHER_VERIFIER_URL: proxyUrl,
      });
      const committer = await createTensorCommitter();
      const honest = await buildClaim({
        model: validity,
        input: randomInput(validity, 40),
        taskId: toHex32(40n),
        account: devAccount(2),
        domain: chain.domain,
        committer,
        salt: 5n,
      });
      const [{ claimId }] = (await verifier.client.submitClaims([honest])).claims;
      await eventually(
        async () =>
          (await watchers[2].metrics()).match(
            /verilay_watcher_unusable_answers_total\{kind="bad-data"\} ([2-9]|\d\d)/,
          ) && /does not match the input commitment/.test(watchers[2].output())
            ? true
            : undefined,
        60_000,
        'the tampered model and data to be noticed',
      );
      const reader = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(7));
      expect(
        await reader.public.readContract({
          address: chain.claims,
          abi: verilayClaimsAbi,
          functionName: 'disputeCount',
        }),
      ).toBe(2n);
      expect(watchers[2].output()).toMatch(/does not match the input commitment/);
      expect(watchers[2].output()).toMatch(/verifier served a model that is not the claimed one/);
      expect(modelsServed).toBeGreaterThanOrEqual(2);
      expect((await verifier.client.getClaim(claimId)).status).not.toBe('challenged');
    } finally {
      proxy.close();
    }
  }, 120_000);
});
