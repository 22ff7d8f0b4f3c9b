import { getJson, sendJson, apiKey } from './lib/api.js';
import { ErrorLine, Status, Table } from './lib/components.js';
import { short, time } from './lib/format.js';
import { html, useEffect, useState } from './lib/html.js';

const STATUSES = ['', 'submitted', 'posted', 'challenged', 'final', 'slashed'];

function query(filters) {
  const q = new URLSearchParams({ limit: '100' });
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
  return `/v1/claims?${q}`;
}

function ClaimDetail({ claimId, tick, onClose }) {
  const [claim, setClaim] = useState(null);
  const [error, setError] = useState(null);
  const [proof, setProof] = useState(null);
  useEffect(() => {
    getJson(`/v1/claims/${claimId}`).then(setClaim, setError);
  }, [claimId, tick]);
  const requestProof = () =>
    sendJson('POST', '/v1/proofs', { claimId }, apiKey.get()).then(
      (job) => setProof(`proof job ${job.proofId}: ${job.status}${job.verdict ? ` (${job.verdict})` : ''}`),
      (e) => setProof(e.message),
    );
  if (!claim) return html`<div class="panel"><${ErrorLine} error=${error} /></div>`;
  return html`<div class="panel" data-detail=${claimId}>
    <h2>
      Claim <code>${short(claimId)}</code> <${Status} status=${claim.status} />
      <button class="secondary" onClick=${onClose}>close</button>
    </h2>
    <dl class="kv">
      <dt>claim id</dt>
      <dd><code>${claim.claimId}</code></dd>
      <dt>model</dt>
      <dd><code>${claim.modelId}</code></dd>
      <dt>operator</dt>
      <dd><code>${claim.operator}</code></dd>
      <dt>output</dt>
      <dd><code>${claim.output ? JSON.stringify(claim.output).slice(0, 200) : '—'}</code></dd>
      <dt>reason</dt>
      <dd>${claim.reason ?? '—'}</dd>
      <dt>batch</dt>
      <dd>
        ${claim.batch ? `#${claim.batch.id}${claim.batch.chainIndex !== null ? ` (chain ${claim.batch.chainIndex})` : ''}, window ends ${time(claim.batch.windowEndsAt)}` : '—'}
      </dd>
    </dl>
    <h2>History</h2>
    <${Table}
      rows=${claim.history}
      rowKey=${(h) => `${h.to}-${h.at}`}
      columns=${[
        ['from', (h) => h.from ?? '—'],
        ['to', (h) => html`<${Status} status=${h.to} />`],
        ['at', (h) => time(h.at)],
        ['reason', (h) => h.reason ?? ''],
      ]}
    />
    <p>
      <button onClick=${requestProof} title="Needs an API key with proofs:write (webhooks tab)">
        Request validity proof
      </button>
      ${proof}
    </p>
  </div>`;
}

export function Claims({ tick }) {
  const [filters, setFilters] = useState({ status: '', operator: '', modelId: '' });
  const [claims, setClaims] = useState([]);
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(null);
  useEffect(() => {
    getJson(query(filters)).then((page) => {
      setClaims(page.claims);
      setError(null);
    }, setError);
  }, [tick, filters.status, filters.operator, filters.modelId]);
  const set = (key) => (e) => setFilters({ ...filters, [key]: e.target.value.trim() });
  return html` <div class="filters">
      <select name="status" onChange=${set('status')} value=${filters.status}>
        ${STATUSES.map((s) => html`<option value=${s}>${s || 'any status'}</option>`)}
      </select>
      <input name="operator" placeholder="operator 0x…" onChange=${set('operator')} size="44" />
      <input name="modelId" placeholder="model 0x…" onChange=${set('modelId')} size="68" />
    </div>
    <${ErrorLine} error=${error} />
    ${open && html`<${ClaimDetail} claimId=${open} tick=${tick} onClose=${() => setOpen(null)} />`}
    <${Table}
      rows=${claims}
      rowKey=${(c) => c.claimId}
      attrs=${(c) => ({ 'data-claim': c.claimId, 'data-status': c.status })}
      onRow=${(c) => setOpen(c.claimId)}
      empty="No claims match."
      columns=${[
        ['claim', (c) => html`<code>${short(c.claimId)}</code>`],
        ['status', (c) => html`<${Status} status=${c.status} />`],
        ['operator', (c) => html`<code>${short(c.operator)}</code>`],
        ['model', (c) => html`<code>${short(c.modelId)}</code>`],
        ['batch', (c) => c.batchId ?? '—'],
        ['submitted', (c) => time(c.submittedAt)],
        ['updated', (c) => time(c.updatedAt)],
        ['reason', (c) => c.reason ?? ''],
      ]}
    />`;
}
