import { getJson } from './lib/api.js';
import { ErrorLine, Status, Table } from './lib/components.js';
import { short, time } from './lib/format.js';
import { html, useEffect, useState } from './lib/html.js';
import { useNow } from './lib/live.js';

const MOVE_TEXT = {
  DisputeOpened: (a) => `opened by ${short(a.challenger)}${a.bisection ? ' (bisection)' : ' (validity)'}`,
  SignatureProvided: () => 'operator signature shown',
  MidpointRevealed: (a) => `defender reveals h_${a.step} = ${short(a.commitment)}`,
  HalfChosen: (a) => `challenger ${a.agree ? 'agrees' : 'disagrees'}: range [${a.lo}, ${a.hi}]`,
  DisputeResolved: (a) =>
    `resolved: ${a.challengerWon ? 'challenger wins (claim slashed)' : 'defender wins (claim upheld)'}`,
};

function Game({ disputeId, tick }) {
  const [d, setD] = useState(null);
  const [error, setError] = useState(null);
  const now = useNow(2000); // a game moves on chain: refresh while it is open
  useEffect(() => {
    getJson(`/v1/disputes/${disputeId}`).then(setD, setError);
  }, [disputeId, tick, d && d.game.phase !== 'resolved' ? now : 0]);
  if (!d) return html`<div class="panel"><${ErrorLine} error=${error} /></div>`;
  const g = d.game;
  const width = Math.max(
    1,
    ...d.moves.filter((m) => m.kind === 'HalfChosen').map((m) => Number(m.args.hi)),
    g.hi,
  );
  return html`<div class="panel" data-dispute=${d.disputeId} data-phase=${g.phase}>
    <h2>Dispute #${d.disputeId} on claim <code>${short(d.claimId)}</code> <${Status} status=${g.phase} /></h2>
    <dl class="kv">
      <dt>bisection range</dt>
      <dd data-range>
        [${g.lo}, ${g.hi}] of ${width} steps${g.hi - g.lo === 1 ? ' — one step left: its proof decides' : ''}
      </dd>
      <dt>clocks</dt>
      <dd>
        challenger ${g.challengerClockS} s, defender ${g.defenderClockS}
        s${g.onMove ? `; ${g.onMove} to move since ${time(g.turnStartedAt)}` : ''}${g.clockSpent ? ` (${g.clockSpent}'s clock is spent)` : ''}
      </dd>
      <dt>challenger</dt>
      <dd><code>${d.challenger}</code></dd>
      <dt>outcome</dt>
      <dd>${g.challengerWon === null ? 'open' : g.challengerWon ? 'challenger won' : 'defender won'}</dd>
    </dl>
    <div class="range">
      <span
        style=${{ left: `${(100 * g.lo) / width}%`, width: `${Math.max(1, (100 * (g.hi - g.lo)) / width)}%` }}
      ></span>
    </div>
    <${Table}
      rows=${d.moves}
      rowKey=${(m) => m.transactionHash + m.kind}
      attrs=${(m) => ({ 'data-move': m.kind })}
      columns=${[
        ['block', (m) => m.block],
        ['move', (m) => (MOVE_TEXT[m.kind] ?? (() => m.kind))(m.args)],
        ['transaction', (m) => html`<code title=${m.transactionHash}>${short(m.transactionHash)}</code>`],
      ]}
    />
  </div>`;
}

export function Disputes({ tick }) {
  const [rows, setRows] = useState([]);
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(null);
  useEffect(() => {
    getJson('/v1/disputes').then(
      (p) => {
        setRows(p.disputes);
        setError(null);
      },
      (e) =>
        setError(
          e.status === 404
            ? new Error('No chain: disputes happen on chain (this verifier runs with VERIFIER_CHAIN=off).')
            : e,
        ),
    );
  }, [tick]);
  return html` <${ErrorLine} error=${error} />
    ${open !== null && html`<${Game} disputeId=${open} tick=${tick} />`}
    <${Table}
      rows=${rows}
      rowKey=${(d) => d.disputeId}
      attrs=${(d) => ({ 'data-dispute-row': d.disputeId })}
      onRow=${(d) => setOpen(d.disputeId)}
      empty="No disputes against this verifier's claims."
      columns=${[
        ['dispute', (d) => `#${d.disputeId}`],
        ['claim', (d) => html`<code>${short(d.claimId)}</code>`],
        ['challenger', (d) => html`<code>${short(d.challenger)}</code>`],
        ['status', (d) => html`<${Status} status=${d.status} />`],
        ['opened', (d) => time(d.openedAt)],
        ['note', (d) => d.note ?? ''],
      ]}
    />`;
}
