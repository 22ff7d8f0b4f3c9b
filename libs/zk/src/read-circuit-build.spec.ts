// Review of finding 7 (issue 11): a build's files are found from its directory, never from the
// paths its build.json names. Reuses the contract specs' cached build (.verilay/test-cache);
// copies go to temp directories, the shared cache is never written.
import { randomModel } from '@verilay/inference';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildCircuit, findCircuitBuild, readCircuitBuild, type CircuitArtifacts } from './build-circuit';

const TEST_CACHE = join(__dirname, '../../../.verilay/test-cache');
const validity = randomModel({ seed: 5, kind: 'mlp', sizes: [6, 4, 3], argmax: true, name: 'validity' });

describe(readCircuitBuild.name, () => {
  const roots: string[] = [];
  let cached: CircuitArtifacts;

  beforeAll(async () => {
    cached = await buildCircuit(validity, { cacheDir: TEST_CACHE });
  }, 300_000);

  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  /** The cached build copied (moved, as an operator would) under a fresh cache root. */
  const moved = () => {
    const root = mkdtempSync(join(tmpdir(), 'verilay-moved-'));
    roots.push(root);
    const dir = join(root, relative(TEST_CACHE, cached.dir));
    cpSync(cached.dir, dir, { recursive: true });
    return { root, dir };
  };

  it('finding 7 review 2 fixed: a moved cache finds its files in the new directory', () => {
    const { root, dir } = moved();
    const build = findCircuitBuild(validity, { cacheDir: root })!;
    expect(build).toMatchObject({
      dir,
      zkeyPath: join(dir, 'circuit.zkey'),
      vkeyPath: join(dir, 'vkey.json'),
      verifierSolPath: join(dir, 'Groth16Verifier.sol'),
      wasmPath: join(dir, 'circuit_js/circuit.wasm'),
      zkeySha256: cached.zkeySha256,
    });
  });

  it('finding 7 review 2 fixed: a manifest cannot name another file as the key', () => {
    const { dir } = moved();
    const elsewhere = join(dir, '..', 'not-a-key.txt');
    writeFileSync(elsewhere, 'a file the verifier must never serve');
    const manifest = join(dir, 'build.json');
    writeFileSync(
      manifest,
      JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), zkeyPath: elsewhere }),
    );
    expect(readCircuitBuild(dir)!.zkeyPath).toBe(join(dir, 'circuit.zkey'));
  });
});
