// The verifier's operator dashboard: claims, batches, disputes, models, webhooks, live from /v1/events.
import { LiveBadge, Tabs } from './lib/components.js';
import { html, render, useEffect, useState } from './lib/html.js';
import { useEvents } from './lib/live.js';
import { Batches } from './batches.js';
import { Claims } from './claims.js';
import { Disputes } from './disputes.js';
import { Models } from './models.js';
import { Webhooks } from './webhooks.js';

const TABS = ['claims', 'batches', 'disputes', 'models', 'webhooks'];
const EVENT_TYPES = ['claim.posted', 'claim.challenged', 'claim.final', 'claim.slashed', 'claim.proven'];
const VIEWS = { claims: Claims, batches: Batches, disputes: Disputes, models: Models, webhooks: Webhooks };

const tabOf = () => {
  const hash = location.hash.slice(1);
  return TABS.includes(hash) ? hash : 'claims';
};

function App() {
  const [tab, setTab] = useState(tabOf());
  // Every event bumps `tick`: the open view refetches what it shows (debounced by the browser's
  // event loop: one render per burst).
  const [tick, setTick] = useState(0);
  const [lastEvent, setLastEvent] = useState(null);
  const state = useEvents('/v1/events', EVENT_TYPES, (event) => {
    setLastEvent(event);
    setTick((n) => n + 1);
  });
  useEffect(() => {
    const onHash = () => setTab(tabOf());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const View = VIEWS[tab];
  return html`
    <header>
      <h1>verilay verifier</h1>
      <${Tabs} tabs=${TABS} current=${tab} onSelect=${setTab} />
      <${LiveBadge} state=${state} />
    </header>
    <main>
      <${View} tick=${tick} lastEvent=${lastEvent} />
    </main>
  `;
}

render(html`<${App} />`, document.getElementById('app'));
