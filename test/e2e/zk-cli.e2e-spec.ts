import { modelToJson, randomInput, randomModel } from '@verilay/inference';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/e2e';

const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], {
    timeout: 240_000,
  });

describe('verilay model build / prove / verify', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'verilay-zk-cli-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds a model, proves an inference and verifies the proof; a tampered proof fails', async () => {
    const model = randomModel({ seed: 41, kind: 'mlp', sizes: [12, 6, 3], argmax: true });
    const modelFile = join(dir, 'model.json');
    writeFileSync(modelFile, JSON.stringify(modelToJson(model)));
    writeFileSync(
      join(dir, 'input.json'),
      JSON.stringify({ data: Array.from(randomInput(model, 3)), salt: '0x1234' }),
    );
    const cache = ['--cache-dir', join(dir, 'cache')];

    const build = JSON.parse((await cli('model', 'build', modelFile, ...cache)).stdout);
    expect(build).toMatchObject({ cacheHit: false, step: null });
    expect(build.constraints).toBeGreaterThan(100);
    expect(JSON.parse((await cli('model', 'build', modelFile, ...cache)).stdout).cacheHit).toBe(true);

    const proofFile = join(dir, 'proof.json');
    await cli(
      'prove',
      '--model',
      modelFile,
      '--input',
      join(dir, 'input.json'),
      '--out',
      proofFile,
      '--snarkjs',
      join(dir, 'snarkjs'),
      ...cache,
    );
    const verified = await cli('verify', '--proof', proofFile, '--model', modelFile, ...cache);
    expect(verified.stdout).toMatch(/^valid: model 0x/);
    // The files --snarkjs writes verify with snarkjs alone.
    const snarkjs = await promisify(execFile)(process.execPath, [
      join(ROOT, 'node_modules/snarkjs/build/cli.cjs'),
      'groth16',
      'verify',
      ...['vkey.json', 'public.json', 'proof.json'].map((f) => join(dir, 'snarkjs', f)),
    ]);
    expect(snarkjs.stdout).toMatch(/OK!/);

    const proof = JSON.parse(readFileSync(proofFile, 'utf8'));
    proof.outputCommitment = `0x${(BigInt(proof.outputCommitment) + 1n).toString(16).padStart(64, '0')}`;
    proof.publicSignals[1] = BigInt(proof.outputCommitment).toString();
    writeFileSync(proofFile, JSON.stringify(proof));
    const rejected = await cli('verify', '--proof', proofFile, '--model', modelFile, ...cache).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect(rejected).toMatchObject({ code: 2 });
    expect((rejected as { stdout: string }).stdout).toMatch(/^INVALID proof: the pairing check fails/);
  }, 300_000);

  it('refuses to verify without a trusted key source', async () => {
    writeFileSync(join(dir, 'bare.json'), JSON.stringify({ modelId: '0x00', vkey: {} }));
    const refused = await cli('verify', '--proof', join(dir, 'bare.json')).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toMatch(/--model <file> or --vkey <file>/);
  });
});
