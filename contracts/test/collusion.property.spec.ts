// The guarantee, as a property on a real anvil: whatever a colluding operator, sequencer and
// challenger do (repost leaves, open and stall disputes at the last second of each clock, lose on
// purpose, request and execute withdrawals), against one honest verifier and one honest watcher
// (support/honest-parties.ts): a false claim never becomes final, a true claim is never slashed,
// the honest parties never lose a wei of bond, and bonds are conserved.
// VERILAY_PROPERTY_RUNS sets the number of schedules (25 by default, about 40 s).
import {
  chooseHalf,
  claimTimeout,
  createChainClients,
  depositBond,
  devAccount,
  executeWithdrawal,
  openDispute,
  postBatch,
  provideSignature,
  readDispute,
  requestWithdrawal,
  revealMidpoint,
  submitStepProof,
  submitValidityProof,
  toSolidityProof,
  verilayClaimsAbi,
  type ChainClients,
} from '@verilay/chain';
import { BatchTree } from '@verilay/commitments';
import { releaseProverThreads } from '@verilay/zk';
import fc from 'fast-check';
import {
  advance,
  ETH,
  expectConserved,
  makeClaim,
  startChainFixture,
  type ChainFixture,
} from './support/chain-fixture';
import {
  blockTime,
  postingStatus,
  reactHonestly,
  type World,
  type WorldLeaf,
  type WorldPosting,
} from './support/honest-parties';
import { buildZkModels, proveWith, registerZkModels, type ZkModel } from './support/zk-models';

type Step =
  | { kind: 'repost'; leaf: number }
  | { kind: 'dispute'; posting: number; signed: boolean }
  | { kind: 'move'; dispute: number; agree: boolean; lastSecond: boolean }
  | { kind: 'timeout'; dispute: number }
  | { kind: 'proveLate'; dispute: number }
  | { kind: 'wait'; seconds: number }
  | { kind: 'withdraw'; who: 'liar' | 'sequencer'; share: number };

const RUNS = Number(process.env.VERILAY_PROPERTY_RUNS ?? 25);

describe('VerilayClaims under collusion', () => {
  let f: ChainFixture;
  let zk: { validity: ZkModel; bisection: ZkModel };
  let liar: ChainClients;
  const liarAccount = devAccount(6);

  beforeAll(async () => {
    zk = await buildZkModels();
    f = await startChainFixture();
    await registerZkModels(f, zk);
    liar = createChainClients({ rpcUrl: f.anvil.rpcUrl, chainId: f.anvil.chainId }, liarAccount);
    await depositBond(liar, f.deployment, 3n * ETH);
    await depositBond(f.clients.stranger, f.deployment, 5n * ETH); // the colluding sequencer
  }, 600_000);
  afterAll(async () => {
    await f?.anvil.stop();
    await releaseProverThreads();
  });

  const read = <T>(functionName: string, args: unknown[]) =>
    f.clients.stranger.public.readContract({
      address: f.deployment.claims,
      abi: verilayClaimsAbi,
      functionName,
      args,
    } as never) as Promise<T>;
  const account = (who: `0x${string}`) => read<{ bond: bigint; locked: bigint }>('account', [who]);

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('repost' as const), leaf: fc.nat(3) }),
    fc.record({ kind: fc.constant('dispute' as const), posting: fc.nat(7), signed: fc.boolean() }),
    fc.record({
      kind: fc.constant('move' as const),
      dispute: fc.nat(7),
      agree: fc.boolean(),
      lastSecond: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('timeout' as const), dispute: fc.nat(7) }),
    fc.record({ kind: fc.constant('proveLate' as const), dispute: fc.nat(7) }),
    fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 60 }) }),
    fc.record({
      kind: fc.constant('withdraw' as const),
      who: fc.constantFrom('liar' as const, 'sequencer' as const),
      share: fc.integer({ min: 1, max: 100 }),
    }),
  );

  // Front-running: the colluders may repost and dispute in the blocks before the honest parties
  // have seen the honest verifier's batch (a watcher needs time to fetch and replay).
  const frontRun: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('repost' as const), leaf: fc.nat(3) }),
    fc.record({ kind: fc.constant('dispute' as const), posting: fc.nat(7), signed: fc.boolean() }),
  );

  /** Four claims (true and false, validity and bisection), posted by the honest verifier. */
  async function startWorld(lieFromStep: number, seed: number): Promise<World> {
    const lie = { operator: liarAccount, salt: BigInt(seed) };
    const made = async (m: ZkModel, truthful: boolean, from: number): Promise<WorldLeaf> => ({
      zk: m,
      truthful,
      made: await makeClaim(
        f,
        m.model,
        m.modelId,
        m.input(seed + from),
        truthful ? {} : { ...lie, lieFromStep: from },
      ),
    });
    const leaves = [
      await made(zk.validity, true, 0),
      await made(zk.bisection, true, 0),
      await made(zk.validity, false, zk.validity.model.layers.length - 1),
      await made(zk.bisection, false, lieFromStep),
    ];
    const world: World = { leaves, postings: [], disputes: new Map() };
    await post(world, f.clients.sequencer, leaves);
    return world;
  }

  async function post(world: World, by: ChainClients, leaves: WorldLeaf[]): Promise<void> {
    const tree = new BatchTree(leaves.map((l) => l.made.leaf));
    const { batchIndex } = await postBatch(by, f.deployment, {
      root: tree.root,
      count: leaves.length,
      dataHash: `0x${'ee'.repeat(32)}`,
    });
    for (const leaf of leaves) world.postings.push({ batchIndex, tree, leaf });
  }

  /** One colluding step; reverts are part of the game (they must change nothing). */
  async function collude(world: World, s: Step): Promise<void> {
    const ids = [...world.disputes.keys()];
    if (s.kind === 'repost') return post(world, f.clients.stranger, [world.leaves[s.leaf]]);
    if (s.kind === 'wait') return advance(f, s.seconds);
    if (s.kind === 'withdraw') {
      const who = s.who === 'liar' ? liar : f.clients.stranger;
      const a = await account(who.account.address);
      const amount = ((a.bond - a.locked) * BigInt(s.share)) / 100n;
      if (amount > 0n) await requestWithdrawal(who, f.deployment, amount);
      await executeWithdrawal(who, f.deployment);
      return;
    }
    if (s.kind === 'dispute') {
      const p: WorldPosting = world.postings[s.posting % world.postings.length];
      const opened = await openDispute(f.clients.challenger2, f.deployment, {
        batchIndex: p.batchIndex,
        claim: p.leaf.made.claim,
        inclusionProof: p.tree.proof(p.leaf.made.leaf),
        signature: s.signed ? p.leaf.made.signature : '0x',
        bond: f.params.challengerBond,
      });
      world.disputes.set(opened.disputeId, p);
      return;
    }
    if (ids.length === 0) return;
    const id = ids[s.dispute % ids.length];
    if (s.kind === 'timeout') return void (await claimTimeout(f.clients.stranger, f.deployment, id));
    if (s.kind === 'proveLate') return proveAgainst(world, id);
    // A colluder's move: the liar defends its false claims with its made-up trace; the colluding
    // challenger plays its own disputes any way it likes. Either may wait for its last second.
    const posting = world.disputes.get(id)!;
    const d = await readDispute(f.clients.stranger, f.deployment, id);
    const liarDefends = !posting.leaf.truthful && ['await-signature', 'await-reveal'].includes(d.phaseName);
    const colluderChooses = d.challenger === f.accounts.challenger2.address && d.phaseName === 'await-choice';
    if (!liarDefends && !colluderChooses) return;
    if (s.lastSecond) {
      const left = colluderChooses ? d.challengerClock : d.defenderClock;
      const wait = Number(left - ((await blockTime(f)) - d.turnStartedAt)) - 3;
      if (wait > 0) await advance(f, wait);
    }
    const { made } = posting.leaf;
    const mid = Math.floor((d.lo + d.hi) / 2);
    if (colluderChooses) await chooseHalf(f.clients.challenger2, f.deployment, id, s.agree);
    else if (d.phaseName === 'await-signature')
      await provideSignature(f.clients.stranger, f.deployment, id, made.claim, made.signature);
    else
      await revealMidpoint(f.clients.stranger, f.deployment, id, made.trace[mid], made.traceTree.proof(mid));
  }

  /** A colluder settles a dispute it parked with a proof against the claim, whenever it likes. */
  async function proveAgainst(world: World, id: bigint): Promise<void> {
    const { made, zk: m, truthful } = world.disputes.get(id)!.leaf;
    const d = await readDispute(f.clients.stranger, f.deployment, id);
    if (truthful) return;
    if (d.phaseName === 'await-validity-proof') {
      const { proof, output } = await proveWith(m.whole!, made.input, made.salt);
      await submitValidityProof(f.clients.challenger2, f.deployment, id, output, proof);
    } else if (d.phaseName === 'await-step-proof' && d.hLo === made.truth[d.lo]) {
      const p = await m.steps[d.lo].prove(made.input, made.salt);
      await submitStepProof(
        f.clients.challenger2,
        f.deployment,
        id,
        p.outputCommitment,
        toSolidityProof(p.proof),
      );
    }
  }

  async function checkSafety(world: World): Promise<void> {
    for (const p of world.postings) {
      const status = await postingStatus(f, p);
      if (p.leaf.truthful) expect([p.batchIndex, status]).not.toEqual([p.batchIndex, 'slashed']);
      else expect([p.batchIndex, status]).not.toEqual([p.batchIndex, 'final']);
    }
    await expectConserved(f, [liarAccount.address]);
  }

  it('a false claim never becomes final, a true claim is never slashed, honest bonds are whole', async () => {
    const L = zk.bisection.model.layers.length;
    const before = {
      operator: await account(f.accounts.operator.address),
      sequencer: await account(f.accounts.sequencer.address),
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: L - 1 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(frontRun, { maxLength: 4 }),
        fc.array(step, { minLength: 3, maxLength: 12 }),
        async (lieFromStep, seed, head, steps) => {
          const snapshot = await f.testClient.snapshot();
          try {
            const world = await startWorld(lieFromStep, seed);
            for (const s of head) await collude(world, s).catch(() => undefined);
            await reactHonestly(f, world);
            for (const s of steps) {
              await collude(world, s).catch(() => undefined);
              await reactHonestly(f, world);
              await checkSafety(world);
            }
            // Let every clock and window run out, the colluders ending what they can.
            for (let round = 0; round < 12; round++) {
              await advance(f, Number(f.params.clock) + 1);
              for (const id of world.disputes.keys())
                await claimTimeout(f.clients.stranger, f.deployment, id).catch(() => undefined);
              await reactHonestly(f, world);
              await checkSafety(world);
            }
            await advance(f, Number(f.params.challengeWindow) + 1);
            await reactHonestly(f, world);
            for (const p of world.postings)
              expect([p.batchIndex, await postingStatus(f, p)]).toEqual([
                p.batchIndex,
                p.leaf.truthful ? 'final' : 'slashed',
              ]);
            // The honest parties: every watcher dispute won, no bond lost by operator or verifier.
            for (const [id] of world.disputes) {
              const d = await readDispute(f.clients.stranger, f.deployment, id);
              expect(d.phaseName).toBe('resolved');
              if (d.challenger === f.accounts.challenger.address) expect(d.challengerWon).toBe(true);
            }
            expect(await account(f.accounts.operator.address)).toMatchObject({
              bond: before.operator.bond,
              locked: 0n,
            });
            expect(await account(f.accounts.sequencer.address)).toMatchObject({
              bond: before.sequencer.bond,
              locked: 0n,
            });
            await expectConserved(f, [liarAccount.address]);
          } finally {
            await f.testClient.revert({ id: snapshot });
          }
        },
      ),
      { numRuns: RUNS, seed: 20261130 },
    );
  }, 1_200_000);
});
