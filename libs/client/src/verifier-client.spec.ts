import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VerifierClient } from './verifier-client';

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
    it('finding 6b (reproduction): reads a 64 MB answer, far past any task input, without complaint', async () => {
      fake = new FakeVerifier(oversizedInput(64 * MB));
      await fake.listen();
      const sut = new VerifierClient(fake.url);

      const input = (await sut.getTaskInput(CLAIM)) as unknown as { data: number[]; pad: string };

      // The whole answer was read and parsed: a large enough one aborts V8 (uncatchable).
      expect(fake.sent).toBeGreaterThanOrEqual(64 * MB - 100);
      expect(input.pad.length).toBeGreaterThan(63 * MB);
    }, 60_000);
  });
});
