import { Status, Table } from './lib/components.js';
import { short, time } from './lib/format.js';
import { html } from './lib/html.js';

const tally = (counts) =>
  Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ') || 'none';

/** The batches it has seen: counts by status, verdicts by kind, the newest with theirs. */
export function CheckedBatches({ batches }) {
  return html`<section class="panel" data-section="batches">
    <h2>Batches checked</h2>
    <p data-batch-counts>
      batches: ${tally(batches.counts)}; claims: ${tally(batches.verdicts)}
      ${batches.counts.pending ? ` (${batches.counts.pending} waiting to be checked)` : ''}
    </p>
    <${Table}
      rows=${batches.recent}
      rowKey=${(b) => b.batchIndex}
      attrs=${(b) => ({ 'data-batch': b.batchIndex, 'data-status': b.status })}
      empty="No batch posted yet."
      columns=${[
        ['batch', (b) => `#${b.batchIndex}`],
        ['status', (b) => html`<${Status} status=${b.status} />`],
        ['verdicts', (b) => html`<span data-verdicts>${tally(b.verdicts)}</span>`],
        ['root', (b) => html`<code title=${b.root}>${short(b.root)}</code>`],
        ['block', (b) => b.blockNumber],
        ['window ends', (b) => time(b.windowEnd)],
        ['note', (b) => b.note ?? ''],
      ]}
    />
  </section>`;
}
