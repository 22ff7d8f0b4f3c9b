import { getJson } from './lib/api.js';
import { ErrorLine, Table } from './lib/components.js';
import { short, time } from './lib/format.js';
import { html, useEffect, useState } from './lib/html.js';

function ModelDetail({ modelId }) {
  const [keys, setKeys] = useState(null);
  const [chain, setChain] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    getJson(`/v1/models/${modelId}/keys`).then(setKeys, setError);
    getJson('/v1/chain').then(setChain, () => setChain(null));
  }, [modelId]);
  return html`<div class="panel" data-model=${modelId}>
    <h2>Model <code>${short(modelId)}</code></h2>
    <${ErrorLine} error=${error} />
    <dl class="kv">
      <dt>model id</dt>
      <dd><code>${modelId}</code></dd>
      <dt>chain</dt>
      <dd>${chain ? html`claims <code>${chain.claimsContract ?? chain.claims ?? '—'}</code>` : 'off'}</dd>
    </dl>
    <h2>Circuits and proving keys</h2>
    <pre class="mono">${keys ? JSON.stringify(keys, null, 2).slice(0, 4000) : '…'}</pre>
  </div>`;
}

export function Models({ tick }) {
  const [models, setModels] = useState([]);
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(null);
  useEffect(() => {
    getJson('/v1/models').then((p) => setModels(p.models), setError);
  }, [tick]);
  return html` <${ErrorLine} error=${error} />
    ${open && html`<${ModelDetail} modelId=${open} />`}
    <${Table}
      rows=${models}
      rowKey=${(m) => m.modelId}
      attrs=${(m) => ({ 'data-model-row': m.modelId })}
      onRow=${(m) => setOpen(m.modelId)}
      empty="No models registered."
      columns=${[
        ['name', (m) => m.name],
        ['model id', (m) => html`<code>${short(m.modelId)}</code>`],
        ['size', (m) => `${(m.bytes / 1024).toFixed(1)} KiB`],
        ['registered', (m) => time(m.createdAt)],
      ]}
    />`;
}
