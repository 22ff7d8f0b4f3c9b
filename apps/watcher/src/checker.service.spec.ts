import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import {
  createChainClients,
  defaultClaimsParameters,
  deployContracts,
  depositBond,
  devAccount,
  postBatch,
  readClaimStatus,
  startAnvil,
  type AnvilInstance,
  type ChainClients,
  type VerilayDeployment,
} from '@verilay/chain';
import { claimLeaf } from '@verilay/commitments';
import type { ClaimFields } from '@verilay/protocol';
import { watcherDataSourceOptions, WatcherRepository } from '@verilay/storage';
import { DataSource } from 'typeorm';
import { CheckerService } from './checker.service';
import type { ClaimReplayer, Replay } from './claim-replayer.service';
import { FollowerService } from './follower.service';
import { WatcherChain } from './watcher-chain';
import { loadWatcherConfig, type WatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

const word = (tag: number, n: number) =>
  `0x${tag.toString(16).padStart(2, '0')}${n.toString(16).padStart(62, '0')}` as const;
const LIE = `0x${'ee'.repeat(32)}` as const;

/** A claim as the verifier serves it: its fields, its leaf as id, a signature (not checked here). */
function servedClaim(n: number) {
  const fields: ClaimFields = {
    modelId: word(1, n),
    taskId: word(2, n),
    inputCommitment: word(3, n),
    outputCommitment: word(4, n),
    traceRoot: word(5, n),
    operator: devAccount(3).address,
  };
  return { ...fields, claimId: claimLeaf(fields), signature: '0x00' as const };
}

/**
 * A replayer that says what the claim's true output is (the claim's own, or another for the ones
 * listed as lies) after 60 ms, and counts the replays running at once.
 * (The real replayer runs models on worker threads: claim-replayer.service.spec and the watcher
 * e2e; here only the checker's scheduling is under test.)
 */
class CountingReplayer {
  running = 0;
  most = 0;
  readonly replayed: string[] = [];
  constructor(
    private readonly concurrency: number,
    private readonly lies: ReadonlySet<string>,
    private readonly fails = new Set<string>(),
  ) {}
  checkConcurrency() {
    return this.concurrency;
  }
  async replay(claimId: string, claim: ClaimFields): Promise<Replay> {
    this.running += 1;
    this.most = Math.max(this.most, this.running);
    this.replayed.push(claimId);
    try {
      // Long enough that the lanes overlap even on a loaded machine (their database reads come first).
      for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 20));
      if (this.fails.has(claimId)) throw new Error('SQLITE_BUSY: database is locked');
      const outputCommitment = this.lies.has(claimId) ? LIE : claim.outputCommitment;
      return { ok: true, result: { outputCommitment }, input: [1], salt: 0n } as unknown as Replay;
    } finally {
      this.running -= 1;
    }
  }
}

describe(CheckerService.name, () => {
  let anvil: AnvilInstance;
  let dir: string;
  let server: Server;
  /** What the verifier serves for each batch index. */
  const served = new Map<number, unknown>();

  beforeAll(async () => {
    anvil = await startAnvil();
    dir = mkdtempSync(join(tmpdir(), 'verilay-checker-'));
    server = createServer((req, res) => {
      const body = served.get(Number(req.url?.match(/^\/v1\/batches\/(\d+)$/)?.[1] ?? -1));
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }, 60_000);
  afterAll(async () => {
    server?.close();
    await anvil?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Fresh contracts and database, a batch of `claims` posted on chain under `root`, followed. */
  async function world(name: string, claims: ReturnType<typeof servedClaim>[], root: `0x${string}`) {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const sequencer: ChainClients = createChainClients(connection, devAccount(1));
    const deployment: VerilayDeployment = await deployContracts(
      createChainClients(connection, devAccount(0)),
      defaultClaimsParameters(devAccount(9).address),
    );
    await depositBond(sequencer, deployment, 10n ** 18n);
    const { batchIndex } = await postBatch(sequencer, deployment, {
      root,
      count: claims.length,
      dataHash: root,
    });
    served.set(Number(batchIndex), {
      chainIndex: Number(batchIndex),
      root,
      count: claims.length,
      postTx: null,
      claims,
    });
    const db = await new DataSource(watcherDataSourceOptions(join(dir, `${name}.sqlite`))).initialize();
    const repository = new WatcherRepository(db);
    const config: WatcherConfig = loadWatcherConfig({
      WATCHER_RPC_URL: anvil.rpcUrl,
      WATCHER_CHAIN_ID: String(anvil.chainId),
      WATCHER_CLAIMS_CONTRACT: deployment.claims,
      WATCHER_REGISTRY_CONTRACT: deployment.registry,
      WATCHER_VERIFIER_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    const chain = new WatcherChain(createChainClients(connection, devAccount(2)), deployment, 10n ** 17n);
    const metrics = new WatcherMetrics();
    await new FollowerService(chain, repository, config, metrics).follow();
    const checker = (replayer: CountingReplayer) =>
      new CheckerService(repository, replayer as unknown as ClaimReplayer, chain, config, metrics);
    return { db, repository, checker, chain, batchIndex: Number(batchIndex) };
  }

  const verdicts = async (repository: WatcherRepository, batchIndex: number, ids: string[]) =>
    Promise.all(ids.map((id) => repository.verdict(batchIndex, id)));

  it('replays the claims of a batch several at once, never more than its concurrency, and records each verdict', async () => {
    const claims = Array.from({ length: 12 }, (_, i) => servedClaim(i));
    const ids = claims.map((c) => c.claimId.toLowerCase());
    const root = SimpleMerkleTree.of(ids).root as `0x${string}`;
    const { db, repository, checker, batchIndex } = await world('concurrent', claims, root);
    try {
      const replayer = new CountingReplayer(3, new Set([ids[5]]));
      await checker(replayer).checkAll();
      expect(replayer.most).toBe(3);
      expect([...replayer.replayed].sort()).toEqual([...ids].sort());
      expect(await verdicts(repository, batchIndex, ids)).toEqual(
        ids.map((_, i) => (i === 5 ? 'wrong' : 'correct')),
      );
      expect((await repository.pendingWrong()).map((w) => w.claimId)).toEqual([ids[5]]);
      expect(await repository.batchesToCheck()).toEqual([]);
    } finally {
      await db.destroy();
    }
  }, 60_000);

  it('checks a batch whose posted root has a leaf twice: a sequencer cannot blind the watcher with a duplicate', async () => {
    // The claim contract takes any root; this one is built over [a, lie, a].
    const [a, lie] = [servedClaim(100), servedClaim(101)];
    const claims = [a, lie, a];
    const root = SimpleMerkleTree.of(claims.map((c) => c.claimId)).root as `0x${string}`;
    const { db, repository, checker, chain, batchIndex } = await world('duplicate', claims, root);
    try {
      const replayer = new CountingReplayer(4, new Set([lie.claimId.toLowerCase()]));
      await checker(replayer).checkAll();
      // Each claim once; the lie is found and pursued with an inclusion proof that verifies.
      expect([...replayer.replayed].sort()).toEqual(
        [a.claimId, lie.claimId].map((id) => id.toLowerCase()).sort(),
      );
      expect(
        await verdicts(
          repository,
          batchIndex,
          [a.claimId, lie.claimId].map((id) => id.toLowerCase()),
        ),
      ).toEqual(['correct', 'wrong']);
      const [pending] = await repository.pendingWrong();
      const { inclusionProof } = JSON.parse(pending.posting) as { inclusionProof: `0x${string}`[] };
      // The contract's own MerkleProof (as openDispute checks it) takes the proof under that root.
      expect(
        await readClaimStatus(
          chain.clients,
          chain.deployment,
          BigInt(batchIndex),
          lie.claimId,
          inclusionProof,
        ),
      ).toBe('challengeable');
      expect(await repository.batchesToCheck()).toEqual([]);
    } finally {
      await db.destroy();
    }
  }, 60_000);

  it('leaves a batch to look at again when a replay fails, with nothing of that pass still running', async () => {
    const claims = Array.from({ length: 8 }, (_, i) => servedClaim(200 + i));
    const ids = claims.map((c) => c.claimId.toLowerCase());
    const root = SimpleMerkleTree.of(ids).root as `0x${string}`;
    const { db, repository, checker, batchIndex } = await world('failing', claims, root);
    try {
      const replayer = new CountingReplayer(2, new Set(), new Set([ids[2]]));
      await checker(replayer).checkAll();
      expect(replayer.running).toBe(0);
      // The pass stopped at the failure: nothing after it started, the batch is still to check.
      expect(replayer.replayed.length).toBeLessThan(ids.length);
      expect((await repository.batchesToCheck()).map((b) => b.batchIndex)).toEqual([batchIndex]);
      const recorded = await verdicts(repository, batchIndex, ids);
      expect(recorded[2]).toBeNull();
      // Those that finished beside it kept their verdicts: the next pass replays only the rest.
      expect(recorded.filter((v) => v === 'correct').length).toBe(replayer.replayed.length - 1);
    } finally {
      await db.destroy();
    }
  }, 60_000);
});
