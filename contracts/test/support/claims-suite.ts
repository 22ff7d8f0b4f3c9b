// Test support for the VerilayClaims specs: one anvil with verilay and the two zk models per spec
// file (each test on a fresh snapshot), and the reads and moves those specs share.
import { openDispute, verilayClaimsAbi } from '@verilay/chain';
import { releaseProverThreads } from '@verilay/zk';
import {
  isolateEach,
  makeClaim,
  postClaims,
  startChainFixture,
  type ChainFixture,
  type MadeClaim,
} from './chain-fixture';
import { buildZkModels, registerZkModels, type ZkModel } from './zk-models';

export interface ClaimsSuite {
  readonly f: ChainFixture;
  readonly zk: { validity: ZkModel; bisection: ZkModel };
}

/** Registers the suite's beforeAll/afterAll/snapshot hooks; read `f` and `zk` inside tests. */
export function useClaimsSuite() {
  const suite = {} as { f: ChainFixture; zk: ClaimsSuite['zk'] };
  beforeAll(async () => {
    suite.zk = await buildZkModels();
    suite.f = await startChainFixture();
    await registerZkModels(suite.f, suite.zk);
  }, 600_000);
  afterAll(async () => {
    await suite.f?.anvil.stop();
    await releaseProverThreads();
  });
  isolateEach(() => suite.f);

  const read = <T>(functionName: string, args: unknown[] = []) =>
    suite.f.clients.stranger.public.readContract({
      address: suite.f.deployment.claims,
      abi: verilayClaimsAbi,
      functionName,
      args,
    } as never) as Promise<T>;
  const account = (who: `0x${string}`) =>
    read<{ bond: bigint; locked: bigint; pendingWithdrawal: bigint; withdrawableAt: bigint }>('account', [
      who,
    ]);
  const credit = (who: `0x${string}`) => read<bigint>('credit', [who]);

  /** A posted batch of one honest and one lying claim of the validity model. */
  async function postedPair() {
    const { f, zk } = suite;
    const honest = await makeClaim(f, zk.validity.model, zk.validity.modelId, zk.validity.input(1));
    const lying = await makeClaim(f, zk.validity.model, zk.validity.modelId, zk.validity.input(2), {
      lieFromStep: zk.validity.model.layers.length - 1,
    });
    const batch = await postClaims(f, [honest, lying]);
    return { honest, lying, ...batch };
  }

  const dispute = (
    c: MadeClaim,
    batch: { tree: { proof(l: `0x${string}`): `0x${string}`[] }; batchIndex: bigint },
    over: { signature?: `0x${string}`; bond?: bigint; by?: keyof ChainFixture['clients'] } = {},
  ) =>
    openDispute(suite.f.clients[over.by ?? 'challenger'], suite.f.deployment, {
      batchIndex: batch.batchIndex,
      claim: c.claim,
      inclusionProof: batch.tree.proof(c.leaf),
      signature: over.signature ?? c.signature,
      bond: over.bond ?? suite.f.params.challengerBond,
    });

  return { suite: suite as ClaimsSuite, read, account, credit, postedPair, dispute };
}
