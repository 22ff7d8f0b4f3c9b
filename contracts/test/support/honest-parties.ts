// Test support for the collusion property: a world of claims and their postings, and the two honest
// parties every schedule runs against. The honest verifier (the "sequencer" actor) posted the
// claims and defends every dispute over a true claim, through whichever posting it goes; it shows
// the operator's signature for every leaf it holds, so it never answers for a signed claim. The
// honest watcher (the "challenger" actor) disputes every posting of a false claim whenever the
// contract lets it, and plays its disputes by the true trace. Both move at once when it is their
// turn; they react after every step of a schedule.
import {
  chooseHalf,
  claimTimeout,
  openDispute,
  provideSignature,
  readClaimStatus,
  readDispute,
  spentClock,
  revealMidpoint,
  submitStepProof,
  submitValidityProof,
  toSolidityProof,
  type OnChainClaimStatus,
} from '@verilay/chain';
import type { BatchTree } from '@verilay/commitments';
import type { ChainFixture, MadeClaim } from './chain-fixture';
import { proveWith, type ZkModel } from './zk-models';

export interface WorldLeaf {
  readonly made: MadeClaim;
  readonly zk: ZkModel;
  readonly truthful: boolean;
}

export interface WorldPosting {
  readonly batchIndex: bigint;
  readonly tree: BatchTree;
  readonly leaf: WorldLeaf;
}

export interface World {
  readonly leaves: WorldLeaf[];
  readonly postings: WorldPosting[];
  /** Every dispute opened, by anyone, with the posting it went through. */
  readonly disputes: Map<bigint, WorldPosting>;
}

export type DisputeView = Awaited<ReturnType<typeof readDispute>>;

export async function blockTime(f: ChainFixture): Promise<bigint> {
  return (await f.clients.stranger.public.getBlock()).timestamp;
}

/** Whether the side on the move has let its clock run out (so anyone may call `timeout`). */
export async function clockExpired(f: ChainFixture, d: DisputeView): Promise<boolean> {
  return spentClock(d, await blockTime(f)) !== undefined;
}

export function postingStatus(f: ChainFixture, p: WorldPosting): Promise<OnChainClaimStatus> {
  return readClaimStatus(
    f.clients.stranger,
    f.deployment,
    p.batchIndex,
    p.leaf.made.leaf,
    p.tree.proof(p.leaf.made.leaf),
  );
}

/** Runs the honest parties until neither has a move left. Returns how many moves they made. */
export async function reactHonestly(f: ChainFixture, world: World): Promise<number> {
  let moves = 0;
  for (let round = 0; round < 50; round++) {
    const moved = (await defendTrueClaims(f, world)) + (await policeFalseClaims(f, world));
    if (moved === 0) return moves;
    moves += moved;
  }
  throw new Error('the honest parties did not settle within 50 rounds');
}

async function defendTrueClaims(f: ChainFixture, world: World): Promise<number> {
  const verifier = f.clients.sequencer;
  let moved = 0;
  for (const [id, posting] of world.disputes) {
    const d = await readDispute(f.clients.stranger, f.deployment, id);
    if (d.phaseName === 'resolved') continue;
    const { made, zk, truthful } = posting.leaf;
    if (d.phaseName === 'await-signature') {
      await provideSignature(verifier, f.deployment, id, made.claim, made.signature);
      moved++;
      continue;
    }
    if (!truthful) continue; // a false claim is the liar's to defend
    const mid = Math.floor((d.lo + d.hi) / 2);
    if (d.phaseName === 'await-validity-proof') {
      const { proof, output } = await proveWith(zk.whole!, made.input, made.salt);
      await submitValidityProof(verifier, f.deployment, id, output, proof);
    } else if (d.phaseName === 'await-reveal') {
      await revealMidpoint(verifier, f.deployment, id, made.trace[mid], made.traceTree.proof(mid));
    } else if (d.phaseName === 'await-step-proof') {
      const p = await zk.steps[d.lo].prove(made.input, made.salt);
      await submitStepProof(verifier, f.deployment, id, p.outputCommitment, toSolidityProof(p.proof));
    } else if (await clockExpired(f, d)) {
      await claimTimeout(verifier, f.deployment, id);
    } else continue;
    moved++;
  }
  return moved;
}

async function policeFalseClaims(f: ChainFixture, world: World): Promise<number> {
  const watcher = f.clients.challenger;
  const me = f.accounts.challenger.address;
  let moved = 0;
  for (const [id, posting] of world.disputes) {
    const d = await readDispute(f.clients.stranger, f.deployment, id);
    if (d.phaseName === 'resolved' || d.challenger !== me || posting.leaf.truthful) continue;
    const { made, zk } = posting.leaf;
    const mid = Math.floor((d.lo + d.hi) / 2);
    if (d.phaseName === 'await-choice') {
      await chooseHalf(watcher, f.deployment, id, d.hMid === made.truth[mid]);
    } else if (d.phaseName === 'await-validity-proof') {
      const { proof, output } = await proveWith(zk.whole!, made.input, made.salt);
      await submitValidityProof(watcher, f.deployment, id, output, proof);
    } else if (d.phaseName === 'await-step-proof' && d.hLo === made.truth[d.lo]) {
      const p = await zk.steps[d.lo].prove(made.input, made.salt);
      await submitStepProof(watcher, f.deployment, id, p.outputCommitment, toSolidityProof(p.proof));
    } else if (await clockExpired(f, d)) {
      await claimTimeout(watcher, f.deployment, id);
    } else continue;
    moved++;
  }
  for (const posting of world.postings) {
    if (posting.leaf.truthful || (await postingStatus(f, posting)) !== 'challengeable') continue;
    const { made } = posting.leaf;
    // The contract may refuse (it is the judge of when a posting can be disputed): try again later.
    const opened = await openDispute(watcher, f.deployment, {
      batchIndex: posting.batchIndex,
      claim: made.claim,
      inclusionProof: posting.tree.proof(made.leaf),
      signature: made.signature,
      bond: f.params.challengerBond,
    }).catch(() => undefined);
    if (!opened) continue;
    world.disputes.set(opened.disputeId, posting);
    moved++;
  }
  return moved;
}
