import type { ClaimStatus } from './claim';
import { IllegalTransitionError } from './errors';

/**
 * What can happen to a claim:
 * - batched: its leaf is in a posted batch; the challenge window opens;
 * - challenged: someone opened a dispute within the window;
 * - windowElapsed: the window closed with no open dispute;
 * - fraudProven: the dispute proved the claim false; the operator is slashed;
 * - upheld: the dispute failed; the claim waits out its window again;
 * - validityProven: a Groth16 proof of the whole inference made it final at once.
 */
export const CLAIM_EVENTS = [
  'batched',
  'challenged',
  'windowElapsed',
  'fraudProven',
  'upheld',
  'validityProven',
] as const;
export type ClaimEvent = (typeof CLAIM_EVENTS)[number];

// INVARIANT: final and slashed are terminal; nothing leaves them.
const TRANSITIONS: Readonly<Record<ClaimStatus, Partial<Record<ClaimEvent, ClaimStatus>>>> = {
  submitted: { batched: 'posted', validityProven: 'final' },
  posted: { challenged: 'challenged', windowElapsed: 'final', validityProven: 'final' },
  challenged: { fraudProven: 'slashed', upheld: 'posted', validityProven: 'final' },
  final: {},
  slashed: {},
};

/** The status after `event`, or `IllegalTransitionError`. Pure. */
export function nextClaimStatus(from: ClaimStatus, event: ClaimEvent): ClaimStatus {
  const to = TRANSITIONS[from][event];
  if (to === undefined) throw new IllegalTransitionError(from, event);
  return to;
}

/** The statuses from which `event` is legal (for conditional updates in storage). */
export function statusesAccepting(event: ClaimEvent): ClaimStatus[] {
  return (Object.keys(TRANSITIONS) as ClaimStatus[]).filter((s) => TRANSITIONS[s][event] !== undefined);
}

export function isTerminal(status: ClaimStatus): boolean {
  return Object.keys(TRANSITIONS[status]).length === 0;
}
