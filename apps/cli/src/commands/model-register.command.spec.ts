import {
  createChainClients,
  defaultClaimsParameters,
  deployContracts,
  devAccount,
  startAnvil,
  type AnvilInstance,
} from '@verilay/chain';
import { computeModelId, encodeModel, modelToJson, randomModel } from '@verilay/inference';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelRegister } from './model-register.command';

/** What a verifier needs to answer for `model register --verifier`: its chain, and model registrations. */
function fakeVerifier(chain: { rpcUrl: string; registry: string }) {
  const posted: { authorization?: string; bytes: number }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url === '/v1/chain') return res.end(JSON.stringify(chain));
      if (req.method === 'POST' && req.url?.startsWith('/v1/models')) {
        posted.push({ authorization: req.headers.authorization, bytes: Buffer.concat(chunks).length });
        res.statusCode = 201;
        return res.end(JSON.stringify({ modelId: '0x01', created: true }));
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such route' } }));
    });
  });
  return { server, posted };
}

describe(modelRegister.name, () => {
  let anvil: AnvilInstance;
  let verifier: Server;
  let posted: { authorization?: string; bytes: number }[];
  let url: string;
  let dir: string;
  const model = randomModel({ seed: 5, kind: 'mlp', sizes: [4, 3, 2], name: 'register-spec' });
  const out: string[] = [];

  beforeAll(async () => {
    anvil = await startAnvil();
    const deployment = await deployContracts(
      createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(0)),
      defaultClaimsParameters(devAccount(9).address),
    );
    ({ server: verifier, posted } = fakeVerifier({ rpcUrl: anvil.rpcUrl, registry: deployment.registry }));
    await new Promise<void>((r) => verifier.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(verifier.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'verilay-register-'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelToJson(model)));
    jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    jest.spyOn(console, 'error').mockImplementation((line: string) => void out.push(line));
  }, 60_000);

  afterAll(async () => {
    jest.restoreAllMocks();
    verifier.close();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without --api-key says the verifier does not know the model, and a second run with one registers it there only', async () => {
    const file = join(dir, 'model.json');
    const chainOnly = { verifier: url, devRegistrar: true, steps: true, lazy: true };
    await modelRegister(file, chainOnly);
    expect(posted).toHaveLength(0);
    expect(out.join('\n')).toMatch(
      new RegExp(`NOT registered with the verifier at ${url}: .* Run this again with --api-key <key>`),
    );
    expect(JSON.parse(out[out.length - 1])).toMatchObject({ modelId: computeModelId(model), verifier: null });

    out.length = 0;
    await modelRegister(file, { ...chainOnly, apiKey: 'vk_secret' });
    expect(out.join('\n')).toMatch(
      /already registered in 0x[0-9a-fA-F]{40}: registering it with the verifier only/,
    );
    expect(posted).toEqual([{ authorization: 'Bearer vk_secret', bytes: encodeModel(model).length }]);
    expect(JSON.parse(out[out.length - 1])).toMatchObject({
      alreadyOnChain: true,
      verifier: { url, created: true },
    });

    await expect(modelRegister(file, chainOnly)).rejects.toThrow(
      /is already registered in 0x[0-9a-fA-F]{40} \(entries never change\); give --api-key <key>/,
    );
  }, 60_000);
});
