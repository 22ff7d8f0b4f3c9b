import { getJson } from './lib/api.js';
import { ErrorLine, Status, Table } from './lib/components.js';
import { countdown, short, time } from './lib/format.js';
import { html, useEffect, useState } from './lib/html.js';
import { useNow } from './lib/live.js';

export function Batches({ tick }) {
  const [page, setPage] = useState({ batches: [], skew: 0 });
  const [error, setError] = useState(null);
  const now = useNow(1000);
  useEffect(() => {
    getJson('/v1/batches?limit=100').then(
      // The server's clock decides windows: count down against it, not the browser's.
      (p) => setPage({ batches: p.batches, skew: Date.parse(p.now) - Date.now() }),
      setError,
    );
  }, [tick]);
  const left = (b) => (b.windowEndsAt ? Date.parse(b.windowEndsAt) - (now + page.skew) : null);
  return html` <${ErrorLine} error=${error} />
    <${Table}
      rows=${page.batches}
      rowKey=${(b) => b.id}
      attrs=${(b) => ({ 'data-batch': b.id })}
      empty="No batches yet."
      columns=${[
        ['batch', (b) => `#${b.id}`],
        ['status', (b) => html`<${Status} status=${b.status} />`],
        ['claims', (b) => b.count],
        ['root', (b) => html`<code>${short(b.root)}</code>`],
        ['chain index', (b) => b.chainIndex ?? '—'],
        ['post tx', (b) => (b.postTx ? html`<code>${short(b.postTx)}</code>` : '—')],
        ['created', (b) => time(b.createdAt)],
        [
          'window',
          (b) =>
            b.status === 'closed'
              ? `closed ${time(b.closedAt)}`
              : b.windowEndsAt
                ? html`<span data-countdown=${b.id}>${countdown(left(b))}</span>`
                : 'opens when mined',
        ],
      ]}
    />`;
}
