// Live updates: from the app's Server-Sent Events stream (EventSource reconnects by itself and
// resumes with Last-Event-ID, so no event is missed across a dropped connection), or by polling
// where an app has no stream.
import { getJson } from './api.js';
import { useEffect, useRef, useState } from './html.js';

/**
 * Calls `onEvent(event)` for every event on `path` (types: the names to listen to), and returns
 * the connection state: 'connecting', 'live' or 'reconnecting'.
 */
export function useEvents(path, types, onEvent) {
  const [state, setState] = useState('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const source = new EventSource(path);
    source.onopen = () => setState('live');
    source.onerror = () => setState('reconnecting');
    const listener = (e) => handler.current(JSON.parse(e.data));
    for (const type of types) source.addEventListener(type, listener);
    return () => source.close();
  }, [path, types.join(',')]);
  return state;
}

/** The current time, re-rendered every `ms` (for countdowns). */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/**
 * For apps without an event stream: GETs `path` now and every `ms` after the last answer (never
 * two at once), and returns { data, error, at } (`at`: when the last good answer came).
 */
export function usePolling(path, ms = 2000) {
  const [state, setState] = useState({ data: null, error: null, at: null });
  useEffect(() => {
    let timer;
    let stopped = false;
    const poll = () =>
      getJson(path)
        .then(
          (data) => setState({ data, error: null, at: Date.now() }),
          (error) => setState((s) => ({ ...s, error })),
        )
        .finally(() => {
          if (!stopped) timer = setTimeout(poll, ms);
        });
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, ms]);
  return state;
}
