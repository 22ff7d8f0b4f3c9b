import type { INestApplication } from '@nestjs/common';
import {
  compileGroth16Verifier,
  createChainClients,
  defaultClaimsParameters,
  deployBytecode,
  deployContracts,
  devAccount,
  devPrivateKey,
  registerModel,
  startAnvil,
  type AnvilInstance,
} from '@verilay/chain';
import { modelToJson, randomModel } from '@verilay/inference';
import { buildCircuit, DEV_BEACON, releaseProverThreads, type CircuitArtifacts } from '@verilay/zk';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ChainContext } from '../chain/chain-context';
import { loadVerifierConfig, type VerifierConfig } from '../config/verifier.config';
import { ModelsService } from '../models/models.service';
import { createVerifierApp } from '../verifier-app';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';

/** The contract specs' circuit cache and their "validity" model (contracts/test/support/zk-models.ts). */
const TEST_CACHE = join(__dirname, '../../../../.verilay/test-cache');
const model = randomModel({ seed: 5, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'validity' });
const bisection = randomModel({ seed: 6, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'bisection' });

describe(KeysController.name, () => {
  let dir: string;
  let anvil: AnvilInstance;
  let app: INestApplication;
  let url: string;
  let built: CircuitArtifacts;
  let verifier: `0x${string}`;
  let config: VerifierConfig;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-keys-'));
    built = await buildCircuit(model, { cacheDir: TEST_CACHE });
    anvil = await startAnvil();
    const registrar = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId }, devAccount(0));
    const deployment = await deployContracts(registrar, defaultClaimsParameters(devAccount(9).address));
    const bytecode = compileGroth16Verifier(readFileSync(built.verifierSolPath, 'utf8'));
    verifier = (await deployBytecode(registrar, 'Groth16Verifier', bytecode)).address;
    await registerModel(registrar, deployment, {
      modelId: built.modelId,
      wholeVerifier: verifier,
      traceLength: model.layers.length,
    });
    config = loadVerifierConfig({
      VERIFIER_DB: join(dir, 'v.sqlite'),
      VERILAY_CACHE_DIR: TEST_CACHE,
      CHAIN_RPC_URL: anvil.rpcUrl,
      VERILAY_CHAIN_ID: String(anvil.chainId),
      VERILAY_CLAIMS_CONTRACT: deployment.claims,
      VERILAY_REGISTRY_CONTRACT: deployment.registry,
      VERIFIER_SEQUENCER_KEY: devPrivateKey(1),
      VERIFIER_BATCH_INTERVAL_MS: '3600000',
    });
    app = await createVerifierApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    await app.get(ModelsService).register(modelToJson(model));
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await anvil?.stop();
    await releaseProverThreads();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string) => fetch(`${url}${path}`);

  it('lists the built keys by content hash, checked against the registered verifier', async () => {
    const res = await get(`/v1/models/${built.modelId}/keys`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      modelId: built.modelId,
      beacon: DEV_BEACON,
      keys: [
        {
          step: null,
          circuitHash: built.circuitHash,
          zkey: { sha256: built.zkeySha256, url: `/v1/models/${built.modelId}/keys/${built.zkeySha256}` },
          vkey: { sha256: built.vkeySha256 },
          onChain: {
            verifier: expect.stringMatching(new RegExp(verifier, 'i')),
            matches: true,
            reason: null,
          },
        },
      ],
    });
  });

  it('serves each key file whose bytes hash to its address', async () => {
    for (const [sha, path] of [
      [built.zkeySha256, built.zkeyPath],
      [built.vkeySha256, built.vkeyPath],
    ]) {
      const res = await get(`/v1/models/${built.modelId}/keys/${sha.toUpperCase()}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha);
      expect(bytes.equals(readFileSync(path))).toBe(true);
    }
  });

  it('answers 404 for an unknown hash or model and 400 for a malformed hash; it is read-only', async () => {
    const unknown = await get(`/v1/models/${built.modelId}/keys/${'0'.repeat(64)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'KEY_NOT_FOUND' } });
    const noModel = await get(`/v1/models/0x${'12'.repeat(32)}/keys`);
    expect(noModel.status).toBe(404);
    expect(await noModel.json()).toMatchObject({ error: { code: 'MODEL_NOT_FOUND' } });
    const bad = await get(`/v1/models/${built.modelId}/keys/..%2f..%2fbuild.json`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const del = await fetch(`${url}/v1/models/${built.modelId}/keys/${built.zkeySha256}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(404);
    expect(readFileSync(built.zkeyPath).length).toBeGreaterThan(0);
  });

  /** A KeysService over a copy of the cached build in a fresh cache root (no chain by default). */
  const overCopy = (chain?: ChainContext) => {
    const root = mkdtempSync(join(dir, 'cache-'));
    const copy = join(root, relative(TEST_CACHE, built.dir));
    cpSync(built.dir, copy, { recursive: true });
    const sut = new KeysService(app.get(ModelsService), { ...config, zkCacheDir: root }, chain);
    return { root, copy, sut };
  };

  it('finding 7 review 2 fixed: a manifest written into the cache cannot make it serve another file', async () => {
    const { copy, sut } = overCopy();
    const secret = join(dir, 'v.sqlite'); // the verifier's own database, for one
    const sha = createHash('sha256').update(readFileSync(secret)).digest('hex');
    const manifest = join(copy, 'build.json');
    writeFileSync(
      manifest,
      JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), zkeyPath: secret, zkeySha256: sha }),
    );
    // The key is circuit.zkey of the build directory, whose bytes do not hash to that address.
    await expect(sut.file(built.modelId, sha)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    // The build's own key is still served from the (moved) directory.
    const served = await sut.file(built.modelId, built.vkeySha256);
    served.stream.destroy();
    expect(served.bytes).toBe(readFileSync(join(copy, 'vkey.json')).length);
  });

  it('finding 7 review 3 fixed: concurrent listings of a mismatched key share one chain check', async () => {
    const chain = app.get(ChainContext);
    const { copy, sut } = overCopy(chain);
    // Another circuit's key under this build's name, its manifest updated: it passes
    // the sha256 check, so a check reads the chain and compiles the verifier from the key.
    const other = await buildCircuit(bisection, { cacheDir: TEST_CACHE, step: 0 });
    writeFileSync(join(copy, 'circuit.zkey'), readFileSync(other.zkeyPath));
    const manifest = join(copy, 'build.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').split(built.zkeySha256).join(other.zkeySha256));
    const getCode = jest.spyOn(chain.sequencer.public, 'getCode');
    try {
      const lists = await Promise.all([1, 2, 3].map(() => sut.list(built.modelId)));
      for (const list of lists) expect(list.keys[0].onChain).toMatchObject({ matches: false });
      expect(getCode).toHaveBeenCalledTimes(1);
      // The refusal is remembered for a while (RECHECK_MS): the next listing checks nothing.
      expect((await sut.list(built.modelId)).keys[0].onChain).toMatchObject({ matches: false });
      expect(getCode).toHaveBeenCalledTimes(1);
    } finally {
      getCode.mockRestore();
    }
  }, 120_000);
});
