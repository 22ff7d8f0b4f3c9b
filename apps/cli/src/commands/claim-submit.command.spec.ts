import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimSubmit } from './claim-submit.command';

const hex = (n: number, bytes = 32) => `0x${n.toString(16).padStart(2 * bytes, '0')}`;
const claim = (n: number) => ({
  modelId: hex(1),
  taskId: hex(n),
  operator: hex(2, 20),
  inputCommitment: hex(3),
  outputCommitment: hex(4),
  traceRoot: hex(5),
  signature: `0x${'11'.repeat(65)}`,
});

/** A verifier's POST /v1/claims: accepts claims whose taskId is not 0x…ff, else answers as the verifier's filter does. */
function fakeVerifier() {
  const requests: { claims: { taskId: string }[] }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { claims: { taskId: string }[] };
      requests.push(body);
      if (body.claims.some((c) => c.taskId === hex(0xff))) {
        res.statusCode = 422;
        return res.end(
          JSON.stringify({ error: { code: 'UNKNOWN_MODEL', message: `model ${hex(1)} is not registered` } }),
        );
      }
      res.statusCode = 201;
      res.end(JSON.stringify({ claims: body.claims.map((c) => ({ claimId: c.taskId, status: 'pending' })) }));
    });
  });
  return { server, requests };
}

describe(claimSubmit.name, () => {
  let verifier: Server;
  let requests: { claims: { taskId: string }[] }[];
  let url: string;
  let dir: string;
  const out: string[] = [];
  const err: string[] = [];
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  beforeAll(async () => {
    ({ server: verifier, requests } = fakeVerifier());
    await new Promise<void>((r) => verifier.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(verifier.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'verilay-claim-submit-'));
    jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    jest.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  });
  beforeEach(() => {
    requests.length = out.length = err.length = 0;
  });
  afterAll(() => {
    jest.restoreAllMocks();
    verifier.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('submits one claim, an array, a request body, or what verilay generate prints, and prints ids and statuses', async () => {
    for (const doc of [claim(1), [claim(1)], { claims: [claim(1)] }, { prompt: 'p', claim: claim(1) }]) {
      await claimSubmit(file('one.json', doc), { verifier: url });
      expect(requests.pop()).toEqual({ claims: [claim(1)] });
      expect(JSON.parse(out.pop()!)).toEqual({
        verifier: url,
        claims: [{ claimId: hex(1), status: 'pending' }],
      });
    }
    expect(err.pop()).toBe(`submitted 1 claim to ${url}: 1 pending`);
  });

  it('sends a large file in requests of --per-request claims', async () => {
    await claimSubmit(file('five.json', [1, 2, 3, 4, 5].map(claim)), { verifier: url, perRequest: 2 });
    expect(requests.map((r) => r.claims.length)).toEqual([2, 2, 1]);
    expect(JSON.parse(out[0]).claims).toHaveLength(5);
  });

  it("prints a refusal with the verifier's status, code and message, and what was accepted before it", async () => {
    await expect(
      claimSubmit(file('bad.json', [claim(1)].concat(claim(0xff))), { verifier: url }),
    ).rejects.toThrow(
      `the verifier at ${url} refused the claims: 422 UNKNOWN_MODEL: model ${hex(1)} is not registered`,
    );
    await expect(
      claimSubmit(file('bad.json', [claim(1), claim(0xff)]), { verifier: url, perRequest: 1 }),
    ).rejects.toThrow(/422 UNKNOWN_MODEL: .* \(claims 2-2\); the 1 claims before were accepted$/);
    expect(JSON.parse(out[0]).claims).toEqual([{ claimId: hex(1), status: 'pending' }]);
  });

  it('names the file and what is wrong with it before sending anything', async () => {
    const broken = file('broken.json', '[{"modelId": "0x01",}]');
    await expect(claimSubmit(broken, { verifier: url })).rejects.toThrow(
      `${broken}: not valid JSON at line 1, column 21: Expected double-quoted property name`,
    );
    const { signature: _, ...unsigned } = claim(1);
    await expect(claimSubmit(file('unsigned.json', [claim(1), unsigned]), { verifier: url })).rejects.toThrow(
      /unsigned.json: claim 2 of 2 has no signature \(sign it: verilay generate --operator-key/,
    );
    await expect(claimSubmit(file('empty.json', []), { verifier: url })).rejects.toThrow(
      /empty.json: holds no claims/,
    );
    await expect(claimSubmit(file('number.json', 7), { verifier: url })).rejects.toThrow(
      /number.json: expected a signed claim, an array of them, or \{ "claims": \[...\] \}/,
    );
    await expect(claimSubmit(join(dir, 'missing.json'), { verifier: url })).rejects.toThrow(
      /missing.json: cannot read it/,
    );
    expect(requests).toHaveLength(0);
  });

  it('says when the verifier cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const nowhere = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    await expect(claimSubmit(file('one.json', claim(1)), { verifier: nowhere })).rejects.toThrow(
      `cannot reach the verifier at ${nowhere}: ECONNREFUSED`,
    );
  });
});
