/** An event as `GET /v1/events` and webhooks carry it (docs/verifier-api.md "Events and webhooks"). */
export interface VerilayEvent {
  readonly id: string;
  readonly type: 'claim.posted' | 'claim.challenged' | 'claim.final' | 'claim.slashed' | 'claim.proven';
  readonly timestamp: string;
  readonly data: {
    readonly claimId: `0x${string}`;
    readonly operator: `0x${string}`;
    readonly modelId: `0x${string}`;
    readonly status: string;
    readonly batchId: number | null;
    readonly reason: string | null;
    readonly proofId?: number;
    readonly verdict?: 'claim-true' | 'claim-false';
  };
}

export interface EventStreamOptions {
  /** Start after this event id (0: from the first); default: from now. */
  readonly after?: number | string;
  readonly types?: readonly VerilayEvent['type'][];
  readonly operator?: string;
  readonly modelId?: string;
  /** Ends the stream (the iterator returns). */
  readonly signal?: AbortSignal;
  /** Wait before reconnecting after the connection drops (default 1 s). */
  readonly retryMs?: number;
}

/** A frame larger than this is a broken or hostile stream: the connection is dropped. */
const MAX_FRAME_BYTES = 1 << 20;

/**
 * Reads `GET /v1/events` as an async iterator, reconnecting after a drop with `Last-Event-ID`, so
 * no event is missed or repeated across reconnects. A refusal (4xx, e.g. a bad filter) ends the
 * iteration with an error; 503 and network errors are retried.
 */
export async function* readEventStream(
  baseUrl: string,
  options: EventStreamOptions = {},
): AsyncGenerator<VerilayEvent> {
  let last: string | undefined = options.after === undefined ? undefined : String(options.after);
  const query = new URLSearchParams();
  if (options.types?.length) query.set('types', options.types.join(','));
  if (options.operator) query.set('operator', options.operator);
  if (options.modelId) query.set('modelId', options.modelId);
  const url = new URL(`/v1/events${query.size ? `?${query}` : ''}`, baseUrl);
  while (!options.signal?.aborted) {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'text/event-stream', ...(last !== undefined ? { 'last-event-id': last } : {}) },
        signal: options.signal,
      });
    } catch {
      if (options.signal?.aborted) return;
      await pause(options.retryMs ?? 1000, options.signal);
      continue;
    }
    if (response.status >= 400 && response.status < 500)
      throw new Error(`GET /v1/events answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    if (response.ok && !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`GET /v1/events answered ${response.headers.get('content-type')}, not an event stream`);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      await pause(options.retryMs ?? 1000, options.signal);
      continue;
    }
    try {
      for await (const frame of frames(response.body)) {
        if (frame.data === undefined) continue;
        const event = JSON.parse(frame.data) as VerilayEvent;
        last = frame.id ?? event.id;
        yield event;
      }
    } catch (e) {
      if (options.signal?.aborted) return;
      if (e instanceof SyntaxError) throw e;
    }
    await pause(options.retryMs ?? 1000, options.signal);
  }
}

/** text/event-stream frames: `id:` and `data:` fields, comments and `retry:` ignored. */
async function* frames(body: ReadableStream<Uint8Array>): AsyncGenerator<{ id?: string; data?: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    if (buffer.length > MAX_FRAME_BYTES) throw new Error('event stream frame over 1 MiB');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame: { id?: string; data?: string } = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue; // a comment (": ping") or a malformed line
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') frame.id = value;
        else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
      }
      yield frame;
    }
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
