import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/e2e';

describe('verilay demo (the README main job)', () => {
  it('runs the whole story: honest claims final, the wrong one disputed by the watcher and slashed', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'dist/apps/cli/src/main.js'),
        'demo',
        '--claims',
        '3',
        '--wrong',
        '1',
        '--window-ms',
        '10000',
      ],
      { timeout: 240_000 },
    );
    expect(stdout).toMatch(/submitted 3 signed claims: honest, honest, WRONG/);
    expect(stdout.match(/\[honest\] posted -> final/g)).toHaveLength(2);
    expect(stdout).toMatch(/\[WRONG\] challenged -> slashed \(dispute 1 by validity proof\)/);
    expect(stdout).toMatch(/all 3 claims settled: 2 final, 1 slashed/);
    expect(stdout).toMatch(/operator bond 1 -> 0.9 ETH \(slashed 0.1\)/);
    // The lie explained, the window counted down, who disputed and proved, gas from receipts.
    expect(stdout).toMatch(/claim 3 states output \[\d\], but the model computes \[\d\] on its input: WRONG/);
    expect(stdout).toMatch(/batch \d+: challenge window open, \d+ s left/);
    expect(stdout).toMatch(/batch \d+: challenge window closed/);
    expect(stdout).toMatch(
      /dispute 1 over claim 3: opened by the challenger \(watcher\) 0x[0-9a-fA-F]{8}… \(openDispute, [\d,]+ gas/,
    );
    expect(stdout).toMatch(
      /dispute 1: ended by a Groth16 proof of the whole inference sent by .+ \(submitValidityProof, [\d,]+ gas/,
    );
    expect(stdout).toMatch(/challenger balance change, after its gas: 0\.\d{1,4} ETH\n/);
    expect(stdout).toMatch(
      /gas \(mined receipts\) of the verifier's sequencer 0x[0-9a-fA-F]{8}…: (.+, )?postBatch [\d,]+/,
    );
    // Monotonic stamps: no line earlier than the one before it.
    const stamps = [...stdout.matchAll(/^\[ *([\d.]+)s\]/gm)].map((m) => Number(m[1]));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
  }, 300_000);

  it('--llm: greedy generation claims; the wrong token is bisected to its step, built lazily, proven and slashed', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'dist/apps/cli/src/main.js'), 'demo', '--llm', '--claims', '2', '--window-ms', '10000'],
      { timeout: 900_000 },
    );
    expect(stdout).toMatch(/claim 1: "And God said" -> " unt"\n/);
    expect(stdout).toMatch(/claim 2: "The LORD is" -> "[^"]+" \(WRONG: the model says " the"\)/);
    expect(stdout).toMatch(/\[honest\] posted -> final/);
    // The lie is in the last step (argmax): ceil(log2 L) halvings of the model's L steps (110 now,
    // 7 halvings) down to it, and its circuit only then exists.
    const steps = (
      JSON.parse(readFileSync(join(ROOT, 'models/tiny-llm/tiny-llm.json'), 'utf8')) as { layers: unknown[] }
    ).layers.length;
    expect(stdout.match(/bisection range \[\d+, \d+\] \(await-choice\)/g)).toHaveLength(
      Math.ceil(Math.log2(steps)),
    );
    expect(stdout).toContain(`bisected to one step, ${steps - 1} (argmax)`);
    expect(stdout).toMatch(/\[WRONG\] challenged -> slashed \(dispute 1 by step proof\)/);
    expect(stdout).toMatch(/dispute 1: ended by a Groth16 proof of the one step bisected to sent by /);
    // One chooseHalf a halving, each counted in the challenger's gas line.
    expect(stdout).toMatch(
      new RegExp(
        `challenger \\(watcher\\) 0x[0-9a-fA-F]{8}…: openDispute [\\d,]+, chooseHalf [\\d,]+ \\(${Math.ceil(Math.log2(steps))} calls\\)`,
      ),
    );
    expect(stdout).toMatch(/all 2 claims settled: 1 final, 1 slashed/);
    expect(stdout).toMatch(/operator bond 1 -> 0.9 ETH \(slashed 0.1\)/);
  }, 960_000);
});
