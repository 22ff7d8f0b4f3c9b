import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The JSON body, when the signature verified with the Standard Webhooks library. */
  readonly verified: { id: string; type: string; data: Record<string, unknown> } | null;
}

/**
 * A real HTTP receiver on loopback that verifies every delivery with `standardwebhooks` (an
 * implementation of the spec that is not verilay's) and answers as `answer` says: a status, or
 * 'hang' (never answers).
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  secret = '';
  answer: (n: number) => number | 'hang' | { redirect: string } = () => 204;
  private readonly hanging: ServerResponse[] = [];
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let verified: Received['verified'] = null;
        try {
          verified = new Webhook(this.secret).verify(body, {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          }) as Received['verified'];
        } catch {
          verified = null;
        }
        this.received.push({ headers: req.headers, body, verified });
        const answer = this.answer(this.received.length);
        if (answer === 'hang') return void this.hanging.push(res);
        if (typeof answer === 'object') return void res.writeHead(302, { location: answer.redirect }).end();
        res.writeHead(answer).end(answer >= 300 ? 'receiver says no' : '');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.hanging.forEach((res) => res.destroy());
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Verified deliveries' event types, in arrival order. */
  types(): string[] {
    return this.received.filter((r) => r.verified).map((r) => r.verified!.type);
  }
}

/** Polls `check` (sync or async) until it gives a truthy value. */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
