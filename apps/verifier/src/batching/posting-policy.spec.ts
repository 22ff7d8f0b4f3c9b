import type { PendingClaim } from '@verilay/storage';
import { decidePosting, type PostingFacts } from './posting-policy';

const STAKE = 100n;
const alice = '0x' + 'a1'.repeat(20);
const bob = '0x' + 'b0'.repeat(20);
const onChain = '0x' + '01'.repeat(32);
const unknown = '0x' + '02'.repeat(32);
const claim = (n: number, over: Partial<PendingClaim> = {}): PendingClaim => ({
  claimId: `0x${n.toString(16).padStart(64, '0')}`,
  operator: alice,
  modelId: onChain,
  hasInput: true,
  reason: null,
  ...over,
});
const facts = (over: Partial<PostingFacts> = {}): PostingFacts => ({
  disputeStake: STAKE,
  freeBond: new Map([[alice, 3n * STAKE]]),
  outstanding: new Map([[alice, 0]]),
  modelsOnChain: new Set([onChain]),
  ...over,
});

describe(decidePosting.name, () => {
  it('posts the claims of a bonded operator up to what its free bond covers, oldest first', () => {
    const sut = decidePosting(
      [1, 2, 3, 4].map((n) => claim(n)),
      facts(),
    );
    expect(sut.post).toEqual([claim(1), claim(2), claim(3)].map((c) => c.claimId));
    const [[reason, held]] = [...sut.held];
    expect(held).toEqual([claim(4).claimId]);
    expect(reason).toMatch(
      /operator 0xa1a1.* has 300 wei of free bond on chain, which covers 3 claim\(s\).*3 of its claims are still disputable/,
    );
  });

  it('counts the claims already batched and still disputable against the bond', () => {
    const sut = decidePosting([claim(1), claim(2)], facts({ outstanding: new Map([[alice, 2]]) }));
    expect(sut.post).toEqual([claim(1).claimId]);
    expect([...sut.held.values()].flat()).toEqual([claim(2).claimId]);
  });

  it('holds every claim of an operator with no bond, and posts the bonded one beside it', () => {
    const sut = decidePosting([claim(1, { operator: bob }), claim(2)], facts());
    expect(sut.post).toEqual([claim(2).claimId]);
    expect([...sut.held.keys()][0]).toMatch(/operator 0xb0b0.* has 0 wei/);
  });

  it('holds claims without task input and claims of models not registered on chain, whatever the bond', () => {
    const sut = decidePosting(
      [claim(1, { hasInput: false }), claim(2, { modelId: unknown }), claim(3)],
      facts({ freeBond: new Map([[alice, 100n * STAKE]]) }),
    );
    expect(sut.post).toEqual([claim(3).claimId]);
    expect(
      Object.fromEntries([...sut.held].map(([r, ids]) => [r.split(' ').slice(0, 4).join(' '), ids])),
    ).toEqual({
      'held: no task input': [claim(1).claimId],
      [`held: model ${unknown} is`]: [claim(2).claimId],
    });
  });

  it('needs a full stake per claim: a bond one wei short of two stakes posts one claim', () => {
    const sut = decidePosting([claim(1), claim(2)], facts({ freeBond: new Map([[alice, 2n * STAKE - 1n]]) }));
    expect(sut.post).toEqual([claim(1).claimId]);
  });
});
