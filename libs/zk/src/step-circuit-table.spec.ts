// Step circuits found without compiling (issue 13, lazy step circuits): steps whose generated
// sources differ only in the step number share one circuit, and so one on-chain verifier. The
// sharing is sound only if those steps really compile to the same verification key: built here,
// cold, in a temp cache, across a change in the number of digits (steps 8 and 11).
import { parseModel, randomModel } from '@verilay/inference';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCircuit } from './build-circuit';
import { CeremonyTooSmallError } from './errors';
import { generateModelCircuit } from './generate-circuit';
import { releaseProverThreads } from './prover';
import { normalizeStepSource, stepCircuitTable } from './step-circuit-table';

const ROOT = join(__dirname, '../../..');
// dense, requantize, relu (x4), dense, requantize: the relus of steps 5, 8 and 11 see the same
// shapes and ranges; step 2's input range differs.
const mlp = randomModel({ seed: 3, kind: 'mlp', sizes: [4, 4, 4, 4, 4, 4], name: 'shared-steps' });

describe(stepCircuitTable.name, () => {
  it('groups steps whose circuits differ only in their step number, and keeps the rest apart', () => {
    const sut = stepCircuitTable(mlp);

    expect(sut.table).toHaveLength(mlp.layers.length);
    const shared = sut.circuits.filter((c) => c.steps.length > 1);
    expect(shared.map((c) => c.steps)).toEqual([[5, 8, 11]]);
    expect(new Set(sut.table).size).toBe(sut.circuits.length);
    // Indexes in order of first use; every step names the circuit that lists it.
    sut.circuits.forEach((c, i) => {
      expect(c.steps[0]).toBe(sut.table.indexOf(i));
      for (const step of c.steps) expect(sut.table[step]).toBe(i);
    });
    // The raw sources do differ (names and comments carry the step).
    const [a, b] = [8, 11].map((step) => generateModelCircuit(mlp, { step }).source);
    expect(a).not.toBe(b);
    expect(normalizeStepSource(a, 8)).toBe(normalizeStepSource(b, 11));
  });

  it('is deterministic and separates circuits by their ceremony and constants', () => {
    const cnn = parseModel(readFileSync(join(ROOT, 'models/mnist/mnist-cnn.model.json'), 'utf8'));

    const sut = stepCircuitTable(cnn);

    expect(stepCircuitTable(cnn)).toEqual(sut);
    // Every CNN step is its own circuit (weights differ, or ops differ); its requantize needs 2^17.
    expect(sut.circuits).toHaveLength(cnn.layers.length);
    expect(sut.circuits[1]).toMatchObject({ steps: [1], ptauPower: 17 });
  });

  it('does not rename numbers that are not the step in an identifier', () => {
    const source = 'component relu7[12] = Relu(7); signal t8[7]; Num7Bits(8); x7y; 7 + 8;';

    expect(normalizeStepSource(source, 7)).toBe(
      'component relu@[12] = Relu(7); signal t@+1[7]; Num7Bits(8); x7y; 7 + 8;',
    );
  });

  it('refuses a model with a step no development ceremony fits (registered lazily, its disputes would wait forever)', () => {
    // mul with requantize on [32768]: ~1.18 M constraints, past 2^20 (MAX_DEV_PTAU_POWER). A lazy
    // table holding it would name a circuit nobody can build reproducibly: a liar who diverges at
    // that step stops every clock for good (docs/security.md, "Issue 13 review").
    const big = parseModel({
      format: 'verilay.model.v2',
      input: { shape: [32768], dtype: 'int8' },
      layers: [
        { op: 'store', slot: 1 },
        { op: 'mul', slot: 1, requantize: { multiplier: 1, shift: 8, zeroPoint: 0, dtype: 'int8' } },
      ],
    });
    let error: unknown;
    try {
      stepCircuitTable(big);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CeremonyTooSmallError);
    expect((error as Error).message).toMatch(/step 1 \(mul\)/);
    expect((error as Error).message).toMatch(/2\^20/);
  });

  describe('shared steps compile to one key', () => {
    const cache = mkdtempSync(join(tmpdir(), 'verilay-step-table-'));
    afterAll(async () => {
      await releaseProverThreads();
      rmSync(cache, { recursive: true, force: true });
    });

    it('builds steps 8 and 11 cold to byte-identical verification and proving keys', async () => {
      const builds = [];
      for (const step of [8, 11]) builds.push(await buildCircuit(mlp, { step, cacheDir: cache }));

      expect(builds.every((b) => !b.cacheHit)).toBe(true);
      expect(new Set(builds.map((b) => b.dir)).size).toBe(2);
      expect(new Set(builds.map((b) => b.vkeySha256)).size).toBe(1);
      expect(new Set(builds.map((b) => b.zkeySha256)).size).toBe(1);
      const other = await buildCircuit(mlp, { step: 2, cacheDir: cache });
      expect(other.vkeySha256).not.toBe(builds[0].vkeySha256);
    }, 300_000);
  });
});
