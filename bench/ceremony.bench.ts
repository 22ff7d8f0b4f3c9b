// Development powers of tau written natively (native/crates/ceremony) for 2^k, k = 14..20: wall
// time and peak RSS of a process that does only that, the file's size and sha256; and, as the
// peer, snarkjs' own pipeline (powersoftau new + beacon + prepare phase2) on a small power, whose
// bytes must equal the native file's. Target: 2^20 in at most 15 minutes.
// `npm run build && node dist/bench/ceremony.bench.js [minK] [maxK]` rewrites its section of
// docs/benchmarks.md.
import { nativeAddon } from '@verilay/native';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sectionMarkers, writeSection } from './bench-sections';

export const CEREMONY_SECTION_MARKERS = sectionMarkers('ceremony', 'bench/ceremony.bench.ts');
const TARGET_S = 15 * 60;
const PEER_POWER = 10;

interface Row {
  readonly who: string;
  readonly power: number;
  readonly seconds: number;
  readonly peakMiB: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** sha256 of a file read in pieces (a 2^20 file is 1.2 GB). */
function sha256(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(1 << 24);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Runs in a child process: writes one file, prints its seconds and peak RSS as JSON. */
async function child(power: number, out: string): Promise<void> {
  const addon = nativeAddon();
  if (!addon) throw new Error('the native core is not built or VERILAY_NATIVE=off');
  const start = performance.now();
  await addon.writePtauAsync(out, power);
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ seconds, peakMiB: process.resourceUsage().maxRSS / 1024 }));
}

function native(power: number, dir: string): Row {
  const out = join(dir, `pot${power}_dev.ptau`);
  const json = execFileSync(process.execPath, [__filename, '--child', String(power), out], {
    encoding: 'utf8',
  });
  const { seconds, peakMiB } = JSON.parse(json.trim().split('\n').pop()!);
  const row = { who: 'native', power, seconds, peakMiB, bytes: statSync(out).size, sha256: sha256(out) };
  rmSync(out);
  return row;
}

/** snarkjs' CLI, the way scripts/make-ptau.sh runs it, with the development beacon. */
function snarkjs(power: number, dir: string): Row {
  const addon = nativeAddon()!;
  const beacon = addon.ptauDevBeacon();
  const cli = join(__dirname, '../../node_modules/snarkjs/build/cli.cjs');
  const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { stdio: 'ignore' });
  const [p0, p1, out] = ['0', '1', 'final'].map((s) => join(dir, `snarkjs${power}_${s}.ptau`));
  const start = performance.now();
  run('powersoftau', 'new', 'bn128', String(power), p0);
  run('powersoftau', 'beacon', p0, p1, beacon.hashHex, String(beacon.iterationsExp), `-n=${beacon.name}`);
  run('powersoftau', 'prepare', 'phase2', p1, out);
  const seconds = (performance.now() - start) / 1000;
  // The CLI's own peak is not visible from here; one process per command, so report none.
  const row = {
    who: 'snarkjs CLI',
    power,
    seconds,
    peakMiB: NaN,
    bytes: statSync(out).size,
    sha256: sha256(out),
  };
  for (const f of [p0, p1, out]) rmSync(f);
  return row;
}

export async function benchCeremony(minK = 14, maxK = 20): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'verilay-ceremony-bench-'));
  try {
    const peer = snarkjs(PEER_POWER, dir);
    const same = native(PEER_POWER, dir);
    if (same.sha256 !== peer.sha256)
      throw new Error(
        `2^${PEER_POWER}: the native file differs from snarkjs' (${same.sha256} vs ${peer.sha256})`,
      );
    const rows = [peer, same];
    for (let k = minK; k <= maxK; k++) {
      rows.push(native(k, dir));
      console.error(`2^${k}: ${rows.at(-1)!.seconds.toFixed(1)} s`);
    }
    const largest = rows.at(-1)!;
    const table = [
      '| writer | power | seconds | peak RSS (MiB) | file (MiB) | sha256 |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.who} | 2^${r.power} | ${r.seconds.toFixed(1)} | ${Number.isNaN(r.peakMiB) ? 'n/a' : r.peakMiB.toFixed(0)} | ${(r.bytes / 2 ** 20).toFixed(1)} | \`${r.sha256.slice(0, 16)}…\` |`,
      ),
    ].join('\n');
    return `## Development powers of tau (native)

Each native row is a fresh process that only writes the file (\`writePtauAsync\`, rayon on every
core); its peak RSS is the process' maxRSS. The snarkjs row is its CLI's \`powersoftau new\`,
\`beacon\` and \`prepare phase2\` with the same beacon: the 2^${PEER_POWER} files are byte-identical
(sha256 equal), so the native one is what snarkjs would write, ${(peer.seconds / same.seconds).toFixed(0)}× faster at
that size. Target: 2^20 in ≤ 15 minutes: 2^${largest.power} took ${(largest.seconds / 60).toFixed(1)} minutes
(${largest.seconds <= TARGET_S ? 'met' : 'NOT met'}).

${table}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    void child(Number(args[1]), args[2]).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  } else {
    const [minK, maxK] = [Number(args[0] ?? 14), Number(args[1] ?? 20)];
    void benchCeremony(minK, maxK).then((section) => {
      console.log(section);
      writeSection(join(__dirname, '../../docs/benchmarks.md'), CEREMONY_SECTION_MARKERS, section);
    });
  }
}
