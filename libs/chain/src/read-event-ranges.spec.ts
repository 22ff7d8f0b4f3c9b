import { depositBond } from './actions/deposit-bond';
import { postBatch } from './actions/post-batch';
import type { ClaimsEvent } from './actions/read-events';
import { createChainClients } from './chain-clients';
import { deployContracts } from './deploy-contracts';
import { defaultClaimsParameters } from './deployment';
import { devAccount } from './dev-account';
import { readEventRanges } from './read-event-ranges';
import { startAnvil, type AnvilInstance } from './start-anvil';

describe(readEventRanges.name, () => {
  let anvil: AnvilInstance;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(() => anvil.stop());

  it('reads every event once, in order, and resumes at the first range a failed handler did not store', async () => {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const sequencer = createChainClients(connection, devAccount(1));
    const deployment = await deployContracts(
      createChainClients(connection, devAccount(0)),
      defaultClaimsParameters(devAccount(9).address),
    );
    await depositBond(sequencer, deployment, 10n ** 18n);
    const posted = [];
    for (let i = 1; i <= 3; i++)
      posted.push(
        await postBatch(sequencer, deployment, {
          root: `0x${i.toString(16).padStart(64, '0')}`,
          count: i,
          dataHash: `0x${'00'.repeat(32)}`,
        }),
      );
    // The last batch's block, not getBlockNumber(): viem caches that for its polling interval, and a
    // head read from the cache (one the receipt waits left there) once ended the walk before batch 2.
    const head = posted[2].receipt.blockNumber;

    let stored = deployment.deployBlock; // the caller's cursor
    const seen: ClaimsEvent[] = [];
    let failOnce = true;
    const walk = () =>
      readEventRanges(
        sequencer,
        deployment,
        { from: stored, to: head, maxRange: 2n },
        async (events, range) => {
          if (failOnce && events.some((e) => e.eventName === 'BatchPosted')) {
            failOnce = false;
            throw new Error('handler down');
          }
          seen.push(...events);
          stored = range.to + 1n;
        },
      );
    await expect(walk()).rejects.toThrow('handler down');
    expect(await walk()).toBe(head + 1n);
    const batches = seen
      .filter((e) => e.eventName === 'BatchPosted')
      .map((e) => (e.args as { count: number }).count);
    expect(batches).toEqual([1, 2, 3]);
    expect(seen.filter((e) => e.eventName === 'BondDeposited')).toHaveLength(1);
    expect(stored).toBe(head + 1n);
  });

  it('reads nothing past `to`, and stops between ranges when told', async () => {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const clients = createChainClients(connection, devAccount(0));
    const deployment = {
      chainId: anvil.chainId,
      claims: devAccount(8).address,
      registry: devAccount(8).address,
      deployBlock: 0n,
    };
    const ranges: bigint[][] = [];
    expect(
      await readEventRanges(
        clients,
        deployment,
        { from: 0n, to: 4n, maxRange: 2n },
        async (_, r) => void ranges.push([r.from, r.to]),
      ),
    ).toBe(5n);
    expect(ranges).toEqual([
      [0n, 1n],
      [2n, 3n],
      [4n, 4n],
    ]);
    let calls = 0;
    const next = await readEventRanges(
      clients,
      deployment,
      { from: 0n, to: 4n, maxRange: 2n, stopped: () => calls > 0 },
      async () => void calls++,
    );
    expect([next, calls]).toEqual([2n, 1]);
  });
});
