// The watcher's page: how far it has read the chain, its bond budget, the batches it checked and
// the disputes it plays. The watcher has no event stream: the page polls GET /v1/status.
import { ErrorLine } from './lib/components.js';
import { short, time } from './lib/format.js';
import { html, render } from './lib/html.js';
import { usePolling } from './lib/live.js';
import { BondBudget } from './bond-budget.js';
import { ChainLag } from './chain-lag.js';
import { CheckedBatches } from './checked-batches.js';
import { PlayedDisputes } from './played-disputes.js';

const POLL_MS = 2000;

function App() {
  const { data, error, at } = usePolling('/v1/status', POLL_MS);
  return html`
    <header>
      <h1>verilay watcher</h1>
      ${data && html`<code title=${data.challenger}>challenger ${short(data.challenger)}</code>`}
      <span class="live" data-polled=${at ?? ''} title="the watcher has no event stream"
        >${at ? `polled every ${POLL_MS / 1000} s, last ${time(new Date(at).toISOString())}` : 'loading'}</span
      >
    </header>
    <main>
      <${ErrorLine} error=${error} />
      ${
        data &&
        html`<${ChainLag} chain=${data.chain} lastPassAt=${data.lastPassAt} />
          <${BondBudget} bond=${data.bond} />
          <${CheckedBatches} batches=${data.batches} />
          <${PlayedDisputes} disputes=${data.disputes} />`
      }
    </main>
  `;
}

render(html`<${App} />`, document.getElementById('app'));
