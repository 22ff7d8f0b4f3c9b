// Live updates from the app's Server-Sent Events stream. EventSource reconnects by itself and
// resumes with Last-Event-ID, so no event is missed across a dropped connection.
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
