import { apiKey, sendJson } from './lib/api.js';
import { ErrorLine, Status, Table } from './lib/components.js';
import { time } from './lib/format.js';
import { html, useEffect, useState } from './lib/html.js';

function Deliveries({ id, tick }) {
  const [rows, setRows] = useState([]);
  useEffect(() => {
    sendJson('GET', `/v1/webhooks/${id}/deliveries?limit=50`, undefined, apiKey.get()).then(
      (p) => setRows(p.deliveries),
      () => setRows([]),
    );
  }, [id, tick]);
  return html`<${Table}
    rows=${rows}
    rowKey=${(d) => d.id}
    empty="No deliveries yet."
    columns=${[
      ['event', (d) => d.eventId],
      ['status', (d) => html`<${Status} status=${d.status} />`],
      ['attempts', (d) => d.attempts],
      ['last answer', (d) => d.lastStatusCode ?? d.lastError ?? '—'],
      ['next attempt', (d) => time(d.nextAttemptAt)],
    ]}
  />`;
}

/** Admin: needs an API key with webhooks:write, typed here and kept for this tab only. */
export function Webhooks({ tick }) {
  const [key, setKey] = useState(apiKey.get());
  const [hooks, setHooks] = useState([]);
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null);
  const [open, setOpen] = useState(null);
  const [url, setUrl] = useState('');
  const load = () =>
    key
      ? sendJson('GET', '/v1/webhooks', undefined, key).then((p) => {
          setHooks(p.webhooks);
          setError(null);
        }, setError)
      : setHooks([]);
  useEffect(() => void load(), [key, tick]);
  const saveKey = (e) => {
    apiKey.set(e.target.value.trim());
    setKey(e.target.value.trim());
  };
  const create = (e) => {
    e.preventDefault();
    sendJson('POST', '/v1/webhooks', { url }, key).then((w) => {
      setCreated(w);
      load();
    }, setError);
  };
  const remove = (id) => sendJson('DELETE', `/v1/webhooks/${id}`, undefined, key).then(load, setError);
  return html` <div class="filters">
      <input
        type="password"
        name="apiKey"
        placeholder="API key (webhooks:write, proofs:write)"
        value=${key}
        onChange=${saveKey}
        size="60"
      />
    </div>
    <${ErrorLine} error=${error} />
    <form class="filters" onSubmit=${create}>
      <input
        name="url"
        placeholder="https://receiver.example/verilay"
        value=${url}
        onInput=${(e) => setUrl(e.target.value)}
        size="60"
      />
      <button type="submit">Subscribe to all events</button>
    </form>
    ${created && html`<p class="panel">Webhook #${created.id} created. Its signing secret, shown once: <code data-secret>${created.secret}</code></p>`}
    <${Table}
      rows=${hooks}
      rowKey=${(w) => w.id}
      onRow=${(w) => setOpen(w.id)}
      empty=${key ? 'No webhooks.' : 'Type an API key to see webhooks.'}
      columns=${[
        ['id', (w) => `#${w.id}`],
        ['url', (w) => w.url],
        ['types', (w) => (w.types ? w.types.join(', ') : 'all')],
        ['active', (w) => (w.active ? 'yes' : 'no')],
        [
          'delivered / pending / failed',
          (w) => `${w.deliveries.delivered} / ${w.deliveries.pending} / ${w.deliveries.failed}`,
        ],
        [
          '',
          (w) =>
            w.active
              ? html`<button class="secondary" onClick=${(e) => (e.stopPropagation(), remove(w.id))}>
                  delete
                </button>`
              : '',
        ],
      ]}
    />
    ${
      open !== null &&
      html`<div class="panel">
        <h2>Deliveries of #${open}</h2>
        <${Deliveries} id=${open} tick=${tick} />
      </div>`
    }`;
}
