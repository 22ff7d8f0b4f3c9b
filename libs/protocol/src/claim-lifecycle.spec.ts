import { CLAIM_STATUSES, type ClaimStatus } from './claim';
import { CLAIM_EVENTS, isTerminal, nextClaimStatus, statusesAccepting } from './claim-lifecycle';
import { IllegalTransitionError } from './errors';

describe(nextClaimStatus.name, () => {
  it.each([
    ['submitted', 'batched', 'posted'],
    ['submitted', 'validityProven', 'final'],
    ['posted', 'windowElapsed', 'final'],
    ['posted', 'challenged', 'challenged'],
    ['posted', 'validityProven', 'final'],
    ['challenged', 'fraudProven', 'slashed'],
    ['challenged', 'upheld', 'posted'],
    ['challenged', 'validityProven', 'final'],
  ] as const)('moves a %s claim on %s to %s', (from, event, to) => {
    expect(nextClaimStatus(from, event)).toBe(to);
  });

  it('rejects every other transition with a typed error', () => {
    const legal = new Set([
      'submitted:batched',
      'submitted:validityProven',
      'posted:windowElapsed',
      'posted:challenged',
      'posted:validityProven',
      'challenged:fraudProven',
      'challenged:upheld',
      'challenged:validityProven',
    ]);
    let illegal = 0;
    for (const from of CLAIM_STATUSES)
      for (const event of CLAIM_EVENTS) {
        if (legal.has(`${from}:${event}`)) continue;
        illegal++;
        expect(() => nextClaimStatus(from, event)).toThrow(IllegalTransitionError);
      }
    expect(illegal).toBe(CLAIM_STATUSES.length * CLAIM_EVENTS.length - legal.size);
  });

  it('never leaves final or slashed, and cannot finalize a challenged claim by timeout', () => {
    expect((['final', 'slashed'] as ClaimStatus[]).every(isTerminal)).toBe(true);
    expect(() => nextClaimStatus('challenged', 'windowElapsed')).toThrow(
      /challenged claim cannot take the event "windowElapsed"/,
    );
    expect(statusesAccepting('windowElapsed')).toEqual(['posted']);
  });
});
