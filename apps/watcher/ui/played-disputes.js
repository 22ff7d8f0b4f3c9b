import { Status, Table } from './lib/components.js';
import { short } from './lib/format.js';
import { html } from './lib/html.js';

const outcome = (d) =>
  d.challengerWon === null
    ? d.onMove
      ? `${d.onMove} to move`
      : 'open'
    : d.challengerWon
      ? 'won: claim slashed'
      : 'lost: claim upheld';

/** The disputes it opened (or adopted from the chain), their game and every move's transaction. */
export function PlayedDisputes({ disputes }) {
  return html`<section class="panel" data-section="disputes">
    <h2>Disputes</h2>
    <${Table}
      rows=${disputes.recent}
      rowKey=${(d) => d.disputeId}
      attrs=${(d) => ({ 'data-dispute': d.disputeId, 'data-status': d.status, 'data-phase': d.phase })}
      empty="No disputes: every claim checked so far was correct (or someone else disputes it)."
      columns=${[
        ['dispute', (d) => `#${d.disputeId}`],
        ['claim', (d) => html`<code title=${d.claimId}>${short(d.claimId)}</code>`],
        ['batch', (d) => `#${d.batchIndex}`],
        ['status', (d) => html`<${Status} status=${d.status} />`],
        ['game', (d) => `${d.bisection ? `bisection [${d.lo}, ${d.hi}]` : 'validity proof'}: ${d.phase}`],
        ['outcome', (d) => outcome(d)],
        [
          'moves',
          (d) =>
            html`<span data-moves=${d.moves.length}
              >${d.moves.map(
                (m) =>
                  html`<code title=${`${m.kind} in block ${m.block}: ${m.transactionHash}`}
                    >${m.kind} ${short(m.transactionHash)}</code
                  > `,
              )}</span
            >`,
        ],
      ]}
    />
  </section>`;
}
