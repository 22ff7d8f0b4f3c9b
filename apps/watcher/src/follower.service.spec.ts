import {
  createAnvilTestClient,
  createChainClients,
  defaultClaimsParameters,
  deployContracts,
  depositBond,
  devAccount,
  postBatch,
  startAnvil,
  type AnvilInstance,
} from '@verilay/chain';
import { watcherDataSourceOptions, WatcherRepository } from '@verilay/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { FollowerService } from './follower.service';
import { WatcherChain } from './watcher-chain';
import { loadWatcherConfig } from './watcher.config';
import { WatcherMetrics } from './watcher-metrics.service';

describe(FollowerService.name, () => {
  let anvil: AnvilInstance;
  let dir: string;
  let db: DataSource;

  beforeAll(async () => {
    anvil = await startAnvil();
    dir = mkdtempSync(join(tmpdir(), 'verilay-follower-'));
    db = await new DataSource(watcherDataSourceOptions(join(dir, 'w.sqlite'))).initialize();
  });
  afterAll(async () => {
    await db.destroy();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forgets a batch a reorg removed and sees the one that replaced it', async () => {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const sequencer = createChainClients(connection, devAccount(1));
    const deployment = await deployContracts(
      createChainClients(connection, devAccount(0)),
      defaultClaimsParameters(devAccount(9).address),
    );
    await depositBond(sequencer, deployment, 10n ** 18n);
    const repository = new WatcherRepository(db);
    const metrics = new WatcherMetrics();
    const sut = new FollowerService(
      new WatcherChain(sequencer, deployment, 10n ** 17n),
      repository,
      loadWatcherConfig({
        WATCHER_RPC_URL: anvil.rpcUrl,
        WATCHER_CHAIN_ID: String(anvil.chainId),
        WATCHER_CLAIMS_CONTRACT: deployment.claims,
        WATCHER_REGISTRY_CONTRACT: deployment.registry,
      }),
      metrics,
    );
    const testClient = createAnvilTestClient(connection);
    const root = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const;

    const fork = await testClient.snapshot();
    await postBatch(sequencer, deployment, { root: root(1), count: 1, dataHash: root(0) });
    await testClient.mine({ blocks: 2 });
    await sut.follow();
    expect((await repository.batchesToCheck()).map((b) => b.root)).toEqual([root(1)]);

    // The chain reorganizes: the block with batch 1 is replaced by one with batch 2.
    await testClient.revert({ id: fork });
    await testClient.mine({ blocks: 1 });
    await postBatch(sequencer, deployment, { root: root(2), count: 1, dataHash: root(0) });
    await testClient.mine({ blocks: 3 });
    await sut.follow();
    expect((await repository.batchesToCheck()).map((b) => [b.batchIndex, b.root])).toEqual([[0, root(2)]]);
    expect(await metrics.reorgs.get()).toMatchObject({ values: [{ value: 1 }] });
  });
});
