import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

// A replay thread is stopped on every replay timeout (CpuExecutor's jobTimeoutMs) and at close, so
// a watcher starts and stops threads all its life. With circomlibjs' blake-hash native addon
// loaded in the main thread and in the replay threads, a few start/replay/stop cycles corrupted
// the heap and killed the process (free(): invalid pointer, SIGSEGV: 6 runs of 6 before the fix in
// libs/commitments/src/load-circomlibjs.ts). The cycles run in a child process: a crash there is a
// failed assertion here, not a lost jest worker.
const root = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nest-cli.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

const CYCLES = `
const dist = (p) => require(${JSON.stringify(join(root, 'dist'))} + '/libs/' + p + '/src');
const { toHex32 } = dist('commitments'); // circomlibjs in the main thread too, as in the apps
const { computeModelId, encodeModel, parseModel, randomInput } = dist('inference');
const { CpuExecutor } = dist('workers');
const model = parseModel(require('node:fs').readFileSync(${JSON.stringify(join(root, 'models/mnist/mnist-mlp.model.json'))}, 'utf8'));
const modelBytes = '0x' + Buffer.from(encodeModel(model)).toString('hex');
const modelId = computeModelId(model);
(async () => {
  for (let c = 0; c < 10; c++) {
    const executor = new CpuExecutor({ threads: 2 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => executor.execute({
      id: c + '-' + i, modelId, modelBytes, input: Array.from(randomInput(model, i + 1)), salt: toHex32(BigInt(i + 1)),
    })));
    await executor.close();
  }
  console.log('cycles done');
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('CpuExecutor threads', () => {
  it.each(['auto', 'off'])(
    'start, replay and stop ten times without crashing the process (VERILAY_NATIVE=%s)',
    (mode) => {
      const child = spawnSync(process.execPath, ['-e', CYCLES], {
        env: { ...process.env, VERILAY_NATIVE: mode },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect({ signal: child.signal, status: child.status, stderr: child.stderr.slice(-500) }).toEqual({
        signal: null,
        status: 0,
        stderr: '',
      });
      expect(child.stdout).toContain('cycles done');
    },
    150_000,
  );
});
