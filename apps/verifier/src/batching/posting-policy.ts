import type { ClaimStatus } from '@verilay/protocol';
import type { PendingClaim } from '@verilay/storage';

/** Statuses of a batched claim that a dispute can still reach, so its operator's stake can still be taken. */
export const DISPUTABLE: readonly ClaimStatus[] = ['posted', 'challenged'];

/** What the chain says about the operators and models of the claims waiting to be batched. */
export interface PostingFacts {
  /** The contract's DISPUTE_STAKE: what one dispute can take from the liable party. */
  readonly disputeStake: bigint;
  /** Per operator: its free bond on chain (`freeBond`: not locked, not on its way out). */
  readonly freeBond: ReadonlyMap<string, bigint>;
  /** Per operator: its claims already batched and not yet final or slashed. */
  readonly outstanding: ReadonlyMap<string, number>;
  /** Models registered in the chain's ModelRegistry. */
  readonly modelsOnChain: ReadonlySet<string>;
}

export interface PostingDecision {
  /** Claims to batch now, oldest first. */
  readonly post: string[];
  /** Claims to keep out of batches, grouped by the reason shown with them. */
  readonly held: Map<string, string[]>;
}

/**
 * The verifier's posting policy (docs/security.md, finding 3). The contract makes the sequencer
 * cover whatever an operator's bond cannot pay when a claim of its batch is disputed, so the
 * sequencer posts only claims it can defend or that are backed:
 * - its task input is stored: the defender can replay it, and the watchers can fetch it;
 * - its model is registered on chain: otherwise a dispute is one nobody can answer;
 * - its operator's free bond covers one DISPUTE_STAKE for every claim of its still disputable on
 *   this verifier (batched, not final or slashed) plus this one.
 * Pure: the caller reads the facts from the chain and the database.
 */
export function decidePosting(pending: readonly PendingClaim[], facts: PostingFacts): PostingDecision {
  const post: string[] = [];
  const held = new Map<string, string[]>();
  const hold = (reason: string, claimId: string) => held.set(reason, [...(held.get(reason) ?? []), claimId]);
  const taken = new Map<string, number>(); // claims of each operator accepted in this decision
  for (const c of pending) {
    if (!c.hasInput) {
      hold('held: no task input is stored, so the verifier could not defend the claim', c.claimId);
      continue;
    }
    if (!facts.modelsOnChain.has(c.modelId)) {
      hold(`held: model ${c.modelId} is not registered on chain (ModelRegistry)`, c.claimId);
      continue;
    }
    const free = facts.freeBond.get(c.operator) ?? 0n;
    const outstanding = (facts.outstanding.get(c.operator) ?? 0) + (taken.get(c.operator) ?? 0);
    // INVARIANT: after posting, freeBond >= DISPUTE_STAKE * (claims of the operator that a
    // dispute could still reach), so no dispute over them needs the sequencer's cover.
    if (free < facts.disputeStake * BigInt(outstanding + 1)) {
      hold(
        `held: operator ${c.operator} has ${free} wei of free bond on chain, which covers ` +
          `${facts.disputeStake > 0n ? free / facts.disputeStake : 0n} claim(s) at a dispute stake of ` +
          `${facts.disputeStake} wei; ${outstanding} of its claims are still disputable. ` +
          'It is posted once the operator deposits more bond or those claims are final.',
        c.claimId,
      );
      continue;
    }
    taken.set(c.operator, (taken.get(c.operator) ?? 0) + 1);
    post.push(c.claimId);
  }
  return { post, held };
}
