// Shared pieces of the dashboards.
import { html } from './html.js';

export function Status({ status }) {
  return html`<span class=${`status status-${status}`} data-status=${status}>${status}</span>`;
}

export function LiveBadge({ state }) {
  return html`<span class=${`live live-${state}`} data-live=${state}
    >${state === 'live' ? '● live' : state}</span
  >`;
}

export function Tabs({ tabs, current, onSelect }) {
  return html`<nav class="tabs">
    ${tabs.map(
      (t) =>
        html`<a
          href=${`#${t}`}
          class=${t === current ? 'current' : ''}
          data-tab=${t}
          onClick=${() => onSelect(t)}
          >${t}</a
        >`,
    )}
  </nav>`;
}

export function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${String(error.message ?? error)}</p>` : null;
}

/** A table from rows; `columns`: [header, (row) => cell]; `rowKey`: (row) => id; `attrs`: extra row attributes. */
export function Table({ columns, rows, rowKey, onRow, attrs = () => ({}), empty = 'nothing yet' }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`<table>
    <thead>
      <tr>
        ${columns.map(([h]) => html`<th>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr
            key=${rowKey(row)}
            ...${attrs(row)}
            class=${onRow ? 'clickable' : ''}
            onClick=${onRow ? () => onRow(row) : undefined}
          >
            ${columns.map(([, cell]) => html`<td>${cell(row)}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}
