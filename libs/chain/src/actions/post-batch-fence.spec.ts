import { createChainClients } from '../chain-clients';
import { defaultClaimsParameters } from '../deployment';
import { deployContracts } from '../deploy-contracts';
import { devAccount } from '../dev-account';
import { verilayClaimsAbi } from '../generated/contracts';
import { startAnvil, type AnvilInstance } from '../start-anvil';
import { NotSentError } from '../transact';
import { depositBond } from './deposit-bond';
import { postBatch } from './post-batch';

const root = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const;

/**
 * The sequencer's fence against a stale leader: two senders of one key that pin the nonce they
 * both saw free cannot both get a batch mined, and a sender that withdraws before signing sends
 * nothing.
 */
describe('postBatch with a pinned nonce', () => {
  let anvil: AnvilInstance;

  beforeAll(async () => {
    anvil = await startAnvil();
  }, 60_000);
  afterAll(() => anvil?.stop());

  /** Fresh contracts, and dev account `index` bonded as a sequencer on them. */
  async function bondedSequencer(index: number) {
    const connection = { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId };
    const deployer = createChainClients(connection, devAccount(0));
    const deployment = await deployContracts(deployer, defaultClaimsParameters(devAccount(0).address));
    const sequencer = createChainClients(connection, devAccount(index));
    await depositBond(sequencer, deployment, 10n ** 18n);
    return { deployment, sequencer };
  }

  // Each order is forced once (the later sender waits), and once they race.
  it.each([
    ['at once', 0, 0, 1],
    ['the first ahead', 0, 200, 3],
    ['the second ahead', 200, 0, 4],
  ])(
    'of two batches sent with one nonce (%s), one is mined; the other never is',
    async (_, d1, d2, index) => {
      const { deployment, sequencer } = await bondedSequencer(index);
      // Two leaders of one key (the same clients: the same account), each with the nonce it saw free.
      const nonce = await sequencer.public.getTransactionCount({
        address: sequencer.account.address,
        blockTag: 'pending',
      });
      await sequencer.public.request({ method: 'evm_setAutomine' as never, params: [false] as never });
      const batch = (n: number) => ({ root: root(n), count: 1, dataHash: root(n) });
      // The two reach the node in either order. The later one replaces the earlier in the pool (same
      // nonce, higher fee) or is refused as underpriced: either way at most one of them can be mined.
      // Both are settled at once, so a refusal during the wait is an outcome, not an unhandled error.
      const after = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const first = after(d1)
        .then(() => postBatch(sequencer, deployment, batch(1), { nonce }))
        .catch((e: unknown) => e);
      const second = after(d2)
        .then(() => postBatch(sequencer, deployment, batch(2), { nonce, beforeSend: () => true }))
        .catch((e: unknown) => e);
      await after(700);
      await sequencer.public.request({ method: 'evm_mine' as never, params: [] as never });
      await sequencer.public.request({ method: 'evm_setAutomine' as never, params: [true] as never });
      const outcomes = await Promise.allSettled([first, second]);
      const posted = await sequencer.public.getContractEvents({
        address: deployment.claims,
        abi: verilayClaimsAbi,
        eventName: 'BatchPosted',
        fromBlock: deployment.deployBlock,
      });
      expect(posted).toHaveLength(1);
      // Each call that resolved reports its own batch, never the other's (a replaced one throws).
      const mine = [root(1), root(2)];
      outcomes.forEach((o, i) => {
        if (o.status === 'fulfilled' && !(o.value instanceof Error))
          expect((o.value as { batchIndex: bigint }).batchIndex).toBe(posted[0].args.batchIndex);
        if (o.status === 'fulfilled' && !(o.value instanceof Error))
          expect(posted[0].args.root).toBe(mine[i]);
      });
      expect(
        await sequencer.public.getTransactionCount({
          address: sequencer.account.address,
          blockTag: 'latest',
        }),
      ).toBe(nonce + 1);
    },
    60_000,
  );

  it('sends nothing when beforeSend says no', async () => {
    const { deployment, sequencer } = await bondedSequencer(2);
    const before = await sequencer.public.getTransactionCount({ address: sequencer.account.address });
    await expect(
      postBatch(
        sequencer,
        deployment,
        { root: root(3), count: 1, dataHash: root(3) },
        { beforeSend: () => false },
      ),
    ).rejects.toBeInstanceOf(NotSentError);
    expect(await sequencer.public.getTransactionCount({ address: sequencer.account.address })).toBe(before);
  }, 60_000);
});
