import { createAnvilTestClient, createChainClients } from './chain-clients';
import { deployContracts } from './deploy-contracts';
import { defaultClaimsParameters } from './deployment';
import { devAccount } from './dev-account';
import { depositBond } from './actions/deposit-bond';
import { postBatch } from './actions/post-batch';
import type { ClaimsEvent } from './actions/read-events';
import { followClaimsEvents } from './follow-events';
import { startAnvil, type AnvilInstance } from './start-anvil';

describe(followClaimsEvents.name, () => {
  let anvil: AnvilInstance;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(() => anvil.stop());

  it('reads every event once, in order, and retries a range whose handler failed', async () => {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const sequencer = createChainClients(connection, devAccount(1));
    const deployment = await deployContracts(
      createChainClients(connection, devAccount(0)),
      defaultClaimsParameters(devAccount(9).address),
    );
    await depositBond(sequencer, deployment, 10n ** 18n);
    const seen: ClaimsEvent[] = [];
    let failOnce = true;
    const errors: unknown[] = [];
    const sut = followClaimsEvents(sequencer, deployment, {
      fromBlock: deployment.deployBlock,
      pollMs: 60_000, // polled by hand below
      maxRange: 2n,
      onEvents: async (events) => {
        if (failOnce && events.some((e) => e.eventName === 'BatchPosted')) {
          failOnce = false;
          throw new Error('handler down');
        }
        seen.push(...events);
      },
      onError: (e) => errors.push(e),
    });
    for (let i = 1; i <= 3; i++)
      await postBatch(sequencer, deployment, {
        root: `0x${i.toString(16).padStart(64, '0')}`,
        count: i,
        dataHash: `0x${'00'.repeat(32)}`,
      });
    await sut.poll();
    expect(errors).toHaveLength(1); // the first range with a batch failed; the cursor stayed put
    await sut.poll();
    const batches = seen
      .filter((e) => e.eventName === 'BatchPosted')
      .map((e) => (e.args as { count: number }).count);
    expect(batches).toEqual([1, 2, 3]);
    expect(seen.filter((e) => e.eventName === 'BondDeposited')).toHaveLength(1);
    expect(sut.cursor).toBe((await sequencer.public.getBlockNumber()) + 1n);
    await sut.stop();
  });

  it('stays `confirmations` blocks behind the head', async () => {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const head = await createChainClients(connection, devAccount(0)).public.getBlockNumber();
    await createAnvilTestClient(connection).mine({ blocks: 5 });
    const sut = followClaimsEvents(
      createChainClients(connection, devAccount(0)),
      {
        chainId: anvil.chainId,
        claims: devAccount(8).address,
        registry: devAccount(8).address,
        deployBlock: head,
      },
      {
        fromBlock: head,
        confirmations: 3,
        pollMs: 60_000,
        onEvents: async () => undefined,
      },
    );
    await sut.poll();
    expect(sut.cursor).toBe(head + 5n - 3n + 1n);
    await sut.stop();
  });
});
