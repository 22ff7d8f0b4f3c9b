import { plural, time } from './lib/format.js';
import { html } from './lib/html.js';

/** "3 blocks, 6 s (keeps 2 confirmations)": from the head to the last block processed. */
const lag = (c) =>
  [
    plural(c.lagBlocks, 'block'),
    c.lagSeconds === null ? '' : `, ${c.lagSeconds} s`,
    c.confirmations ? ` (keeps ${plural(c.confirmations, 'confirmation')})` : '',
  ].join('');

/** How far behind the chain head the watcher reads. */
export function ChainLag({ chain, lastPassAt }) {
  return html`<section class="panel" data-section="chain">
    <h2>Chain</h2>
    <dl class="kv">
      <dt>head</dt>
      <dd data-head=${chain.head}>block ${chain.head} at ${time(chain.headTime)}</dd>
      <dt>read up to</dt>
      <dd data-processed=${chain.processed ?? ''}>
        ${chain.processed === null ? 'nothing yet' : `block ${chain.processed} at ${time(chain.processedTime)}`}
      </dd>
      <dt>lag</dt>
      <dd data-lag-blocks=${chain.lagBlocks}>${lag(chain)}</dd>
      <dt>last full pass</dt>
      <dd>${lastPassAt ? time(lastPassAt) : 'starting'}</dd>
    </dl>
  </section>`;
}
