import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { bareHost, guardedLookup, nonPublicRange, systemResolve, type Resolve } from './webhook-target';

/** What one POST to a receiver gave: its status (null when no answer came) and why it failed. */
export interface SendResult {
  readonly statusCode: number | null;
  readonly ok: boolean;
  readonly error?: string;
}

export interface SendOptions {
  readonly timeoutMs: number;
  readonly allowPrivate: boolean;
  readonly resolve?: Resolve;
}

const ANSWER_BYTES = 1024;

/**
 * POSTs one signed delivery. Only a 2xx answer counts as delivered; redirects are not followed
 * (a 3xx is a failure: a receiver cannot send the verifier elsewhere). The whole attempt, from
 * connect to the last byte read, is bounded by `timeoutMs`, and at most 1 KiB of the answer is
 * read (kept as the error text), so a receiver that hangs or floods never holds a slot for long.
 */
export async function sendWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: SendOptions,
): Promise<SendResult> {
  const resolve = options.resolve ?? systemResolve;
  // A literal IP never reaches `lookup`: judge it here (names are judged on connect).
  const host = bareHost(url.hostname);
  const range = !options.allowPrivate && isIP(host) ? nonPublicRange(host) : null;
  if (range) return { statusCode: null, ok: false, error: `${host} is not a public address (${range})` };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((done) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      done(result);
    };
    const req = send(url, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(options.allowPrivate, resolve) as never,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'verilay-webhooks/1',
        ...headers,
      },
    });
    const timer = setTimeout(
      () => finish({ statusCode: null, ok: false, error: `no answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    req.on('error', (e) => finish({ statusCode: null, ok: false, error: e.message }));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const chunks: Buffer[] = [];
      let size = 0;
      const end = () =>
        finish(
          ok
            ? { statusCode: status, ok }
            : {
                statusCode: status,
                ok,
                error: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`,
              },
        );
      res.on('data', (chunk: Buffer) => {
        if (size < ANSWER_BYTES) chunks.push(chunk.subarray(0, ANSWER_BYTES - size));
        size += chunk.length;
        if (size >= ANSWER_BYTES) end();
      });
      res.on('end', end);
      res.on('error', end);
    });
    req.end(body);
  });
}
