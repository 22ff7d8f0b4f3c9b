import { eth, plural } from './lib/format.js';
import { html } from './lib/html.js';

/** The bond budget: what open disputes lock, what is free, how many more it may open. */
export function BondBudget({ bond }) {
  const budget = BigInt(bond.budget);
  const share = budget > 0n ? Number((BigInt(bond.locked) * 1000n) / budget) / 10 : 0;
  const room =
    bond.canOpen === null ? 'the contract asks no bond' : `room for ${plural(bond.canOpen, 'more dispute')}`;
  return html`<section
    class="panel"
    data-section="bond"
    data-budget=${bond.budget}
    data-locked=${bond.locked}
  >
    <h2>Bond budget</h2>
    <dl class="kv">
      <dt>budget</dt>
      <dd data-bond-budget>${eth(bond.budget)}</dd>
      <dt>locked</dt>
      <dd data-bond-locked>
        ${eth(bond.locked)}: ${plural(bond.open, 'open dispute')} × ${eth(bond.bond)} bond
      </dd>
      <dt>free</dt>
      <dd data-bond-free>${eth(bond.free)}: ${room}</dd>
      <dt>wallet</dt>
      <dd data-balance>
        ${eth(bond.balance)}${BigInt(bond.credit) > 0n ? `, ${eth(bond.credit)} to withdraw` : ''}
      </dd>
    </dl>
    <div class="range" title=${`${share}% of the budget locked`}>
      <span style=${{ left: '0', width: `${Math.min(100, share)}%` }}></span>
    </div>
  </section>`;
}
