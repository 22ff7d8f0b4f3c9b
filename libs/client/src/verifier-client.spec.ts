import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MalformedResponseError, ResponseTooLargeError } from './read-capped-json';
import { ANSWER_CAPS, VerifierApiError, VerifierClient } from './verifier-client';

const MB = 2 ** 20;
const CLAIM = `0x${'11'.repeat(32)}`;

/**
 * A hostile verifier: answers every request with `answer`, which writes a JSON body of its choice.
 * Counts the body bytes the socket actually took (what the client made it send).
 */
class FakeVerifier {
  sent = 0;
  private server?: Server;
  url = '';

  constructor(private readonly answer: (res: ServerResponse, fake: FakeVerifier) => void) {}

  async listen(): Promise<void> {
    this.server = createServer((_req, res) => this.answer(res, this));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => this.server?.close(() => r()) ?? r());
  }
}

/**
 * Streams a task-input answer padded to `total` bytes, 1 MB at a time with backpressure (so the
 * server never holds it whole), and stops when the client goes away.
 */
function oversizedInput(total: number) {
  return (res: ServerResponse, fake: FakeVerifier) => {
    const head = `{"claimId":"${CLAIM}","data":[0],"salt":null,"pad":"`;
    const tail = '"}';
    const chunk = Buffer.alloc(MB, 'a');
    let left = total - head.length - tail.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    const write = (b: Buffer | string) => {
      fake.sent += Buffer.byteLength(b);
      return res.write(b);
    };
    write(head);
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!write(piece)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end(tail, () => (fake.sent += tail.length));
    };
    res.on('close', () => (left = 0));
    pump();
  };
}

describe(VerifierClient.name, () => {
  let fake: FakeVerifier | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  describe('getTaskInput', () => {
    it('finding 6b: refuses a 64 MB answer once past its cap, without reading the rest (the reproduction read it whole, 232996e)', async () => {
      fake = new FakeVerifier(oversizedInput(64 * MB));
      await fake.listen();
      const sut = new VerifierClient(fake.url);

      const error = await sut.getTaskInput(CLAIM).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error).toMatchObject({ code: 'RESPONSE_TOO_LARGE', maxBytes: ANSWER_CAPS.input() });
      await new Promise((r) => setTimeout(r, 200));
      // The stream was cancelled: the server could send little more than the cap (socket buffers).
      expect(fake.sent).toBeLessThan(ANSWER_CAPS.input() + 8 * MB);
    }, 60_000);

    it('takes the cap of the call: an input larger than the model allows is refused as it streams', async () => {
      fake = new FakeVerifier(oversizedInput(4 * MB));
      await fake.listen();
      const sut = new VerifierClient(fake.url);
      const maxBytes = ANSWER_CAPS.input(10); // a model of 10 input values

      await expect(sut.getTaskInput(CLAIM, { maxBytes })).rejects.toMatchObject({
        code: 'RESPONSE_TOO_LARGE',
        maxBytes,
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(fake.sent).toBeLessThan(4 * MB);
    });

    it('refuses by content-length before reading any of the body', async () => {
      fake = new FakeVerifier((res, f) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * MB) });
        res.flushHeaders(); // and then nothing: a client waiting for the body would time out
        f.sent = 0;
      });
      await fake.listen();
      const sut = new VerifierClient(fake.url, { timeoutMs: 5_000, maxBytes: MB });

      await expect(sut.getBatch(0, { maxBytes: MB })).rejects.toMatchObject({
        code: 'RESPONSE_TOO_LARGE',
        bytes: 10 * MB,
      });
      expect(fake.sent).toBe(0);
    });

    it('reads an answer within its cap, and an error answer as a VerifierApiError', async () => {
      fake = new FakeVerifier((res) => {
        const ok = res.req.url?.endsWith('/input');
        res
          .writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
          .end(ok ? `{"claimId":"${CLAIM}","data":[1,-2,3],"salt":null}` : '{"error":{"code":"NOT_FOUND"}}');
      });
      await fake.listen();
      const sut = new VerifierClient(fake.url);

      expect(await sut.getTaskInput(CLAIM, { maxBytes: ANSWER_CAPS.input(3) })).toMatchObject({
        data: [1, -2, 3],
      });
      const error = await sut.getBatch(7).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VerifierApiError);
      expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    });
  });

  describe('getModelBytes', () => {
    it('asks for the canonical bytes by name and reads them within the cap', async () => {
      let accept: string | undefined;
      fake = new FakeVerifier((res) => {
        accept = res.req.headers.accept;
        res
          .writeHead(200, { 'content-type': 'application/vnd.verilay.model' })
          .end(Buffer.from('VLM\x02abc'));
      });
      await fake.listen();

      const bytes = await new VerifierClient(fake.url).getModelBytes(CLAIM, { maxBytes: 64 });

      expect(accept).toBe('application/vnd.verilay.model');
      expect(bytes.toString('latin1')).toBe('VLM\x02abc');
    });

    it('refuses a model answer past its cap as it streams, and an answer of another type unread', async () => {
      fake = new FakeVerifier((res, f) => {
        if (res.req.url?.includes('json')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"document":{}}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/vnd.verilay.model' });
        const chunk = Buffer.alloc(MB);
        const pump = () => {
          while (!res.destroyed && f.sent < 64 * MB) {
            f.sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      });
      await fake.listen();
      const sut = new VerifierClient(fake.url);

      await expect(sut.getModelBytes(CLAIM, { maxBytes: 4 * MB })).rejects.toMatchObject({
        code: 'RESPONSE_TOO_LARGE',
        maxBytes: 4 * MB,
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(fake.sent).toBeLessThan(16 * MB);
      await expect(sut.getModelBytes('json')).rejects.toBeInstanceOf(MalformedResponseError);
    });
  });
});
