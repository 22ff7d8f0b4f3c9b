import { EventRepository, type EventFilter } from '@verilay/storage';
import { EventFeed } from './event-feed.service';
import { startTestVerifier, type TestVerifier } from '../test-verifier.spec-helper';
import { until } from '../webhooks/webhook-receiver.spec-helper';

interface Frame {
  id: string;
  event: string;
  data: { id: string; type: string; data: { claimId: string; status: string } };
}

/** An open `GET /v1/events` read frame by frame (a minimal text/event-stream parser). */
class Stream {
  readonly frames: Frame[] = [];
  comments = 0;
  private readonly abort = new AbortController();
  status = 0;
  errorBody: unknown;

  static async open(url: string, headers: Record<string, string> = {}): Promise<Stream> {
    const s = new Stream();
    const res = await fetch(url, { headers, signal: s.abort.signal });
    s.status = res.status;
    if (res.status !== 200) {
      s.errorBody = await res.json();
      return s;
    }
    void s.read(res.body!.getReader());
    return s;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]),
          );
          if (fields.data)
            this.frames.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
          else if (block.startsWith(':')) this.comments++;
        }
      }
    } catch {
      // aborted
    }
  }

  close(): void {
    this.abort.abort();
  }
}

describe('GET /v1/events (Server-Sent Events)', () => {
  let verifier: TestVerifier;
  let url: string;
  const streams: Stream[] = [];

  const open = async (query = '', headers: Record<string, string> = {}) => {
    const s = await Stream.open(`${url}/v1/events${query}`, headers);
    streams.push(s);
    return s;
  };
  const submit = () => verifier.submit();

  beforeEach(async () => {
    verifier = await startTestVerifier(
      {
        VERIFIER_CHALLENGE_WINDOW_MS: '1000',
        VERIFIER_BATCH_INTERVAL_MS: '50',
        VERIFIER_EVENT_POLL_MS: '20',
        VERIFIER_EVENT_STREAMS_MAX: '3',
      },
      { seed: 23 },
    );
    url = verifier.url;
  });

  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await verifier.close();
  });

  it('replays from ?after=0, then streams live events as they happen', async () => {
    const first = await submit();
    await new Promise((r) => setTimeout(r, 100));
    const s = await open('?after=0');
    await until(() => s.frames.some((f) => f.event === 'claim.final'));
    const second = await submit();
    await until(() => s.frames.some((f) => f.event === 'claim.final' && f.data.data.claimId === second));
    const seen = s.frames.map((f) => [f.event, f.data.data.claimId]);
    expect(seen).toEqual([
      ['claim.posted', first],
      ['claim.final', first],
      ['claim.posted', second],
      ['claim.final', second],
    ]);
    expect(s.frames.map((f) => Number(f.id))).toEqual(s.frames.map((f) => Number(f.data.id)));
    expect(new Set(s.frames.map((f) => f.id)).size).toBe(4);
  });

  it('sends an event the feed hands over while the backlog is read (the read is made again)', async () => {
    const first = await submit();
    await until(async () => (await verifier.client.listClaims({ status: 'final' })).claims.length === 1);
    // The stream's backlog read (the one with a filter) returns only once the feed has handed a
    // newer event over, which the read did not see: the stream must read again, not wait.
    const repo = verifier.app.get(EventRepository);
    const feed = verifier.app.get(EventFeed);
    const read = repo.after.bind(repo);
    let second: string | undefined;
    jest
      .spyOn(repo, 'after')
      .mockImplementation(async (cursor: number, limit: number, filter?: EventFilter) => {
        const page = await read(cursor, limit, filter);
        if (filter?.types && !second) {
          const seen = feed.position;
          second = await submit();
          await until(() => feed.position > seen);
        }
        return page;
      });
    const s = await open('?after=0&types=claim.posted,claim.final');
    await until(() => s.frames.some((f) => f.data.data.claimId === second && f.event === 'claim.final'));
    expect(s.frames.map((f) => [f.event, f.data.data.claimId])).toEqual([
      ['claim.posted', first],
      ['claim.final', first],
      ['claim.posted', second],
      ['claim.final', second],
    ]);
  });

  it('resumes after Last-Event-ID, without a repeat or a gap; with no cursor it starts now', async () => {
    const a = await submit();
    const all = await open('?after=0');
    await until(() => all.frames.length === 2);
    const resumed = await open('', { 'last-event-id': all.frames[0].id });
    const fresh = await open('');
    await until(() => resumed.frames.length === 1);
    const b = await submit();
    await until(() => resumed.frames.length === 3 && fresh.frames.length === 2);
    expect(resumed.frames.map((f) => f.data.data.claimId)).toEqual([a, b, b]);
    // The same events, with the same ids, as the stream that saw them all.
    await until(() => all.frames.length === 4);
    expect(resumed.frames.map((f) => f.id)).toEqual(all.frames.slice(1).map((f) => f.id));
    expect(fresh.frames.map((f) => f.data.data.claimId)).toEqual([b, b]);
  });

  it('reads through libs/client: events() yields them in order and stops on its signal', async () => {
    const id = await submit();
    const stop = new AbortController();
    const seen: string[] = [];
    for await (const event of verifier.client.events({ after: 0, signal: stop.signal })) {
      expect(event.data.claimId).toBe(id);
      seen.push(event.type);
      if (event.type === 'claim.final') stop.abort();
    }
    expect(seen).toEqual(['claim.posted', 'claim.final']);
  });

  it('filters by type', async () => {
    const s = await open('?after=0&types=claim.final');
    const id = await submit();
    await until(() => s.frames.length === 1);
    expect(s.frames[0]).toMatchObject({
      event: 'claim.final',
      data: { data: { claimId: id, status: 'final' } },
    });
  });

  it('refuses bad cursors and filters with 400, and streams past the limit with 503', async () => {
    for (const query of ['?after=-1', '?after=abc', '?types=claim.eaten', '?operator=0x12', '?modelId=0xzz'])
      expect((await open(query)).errorBody).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect((await open('', { 'last-event-id': '1e3' })).status).toBe(400);
    const one = await open();
    await open();
    await open();
    const third = await open();
    expect(third.status).toBe(503);
    expect(third.errorBody).toMatchObject({ error: { code: 'EVENT_STREAMS_BUSY' } });
    one.close();
    expect(await until(async () => ((await open()).status === 200 ? 'ok' : undefined))).toBe('ok');
  });
});
