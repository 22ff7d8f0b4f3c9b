import { callNativeAsync, nativeAddon, nativeStatus, type NativeAddon } from '@verilay/native';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename } from 'node:path';
import { CeremonyTooSmallError, PtauMismatchError, PtauUnavailableError } from './errors';
import { DEV_PTAU_POWER, devPtauHashesPath, devPtauPath, nativeDevPtauPath } from './paths';

/**
 * The largest development ceremony verilay writes on its own (2^20: circuits up to ~1M
 * constraints, a 1.2 GB file, minutes natively). Its hash and the smaller ones' are committed.
 */
export const MAX_DEV_PTAU_POWER = 20;

/** A powers of tau prepared for phase 2: its file, its power and (when known) its sha256. */
export interface PtauFile {
  readonly path: string;
  readonly power: number;
  /** The committed hash of a development file: circuit hashes use it without reading the file. */
  readonly sha256?: string;
}

/**
 * The smallest development ceremony whose Groth16 domain holds a circuit: its constraints, one row
 * per public signal and the constant. Never below the committed 2^14, so every circuit that fits it
 * keeps today's keys.
 */
export function ptauPowerFor(constraints: number, publicSignals = 2): number {
  let power = DEV_PTAU_POWER;
  while (constraints + publicSignals + 1 > 2 ** power) power++;
  return power;
}

/** `<sha256>  <file>` lines, as sha256sum writes (and `sha256sum -c` checks) them. */
function committedHashes(): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const file of [devPtauHashesPath(), `${devPtauPath()}.sha256`]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^([0-9a-f]{64})\s+\*?(\S+)$/.exec(line.trim());
      if (match) hashes.set(basename(match[2]), match[1]);
    }
  }
  return hashes;
}

/**
 * The development powers of tau of 2^power (which may not be written yet) and its committed hash
 * (none past 2^20: ensureDevPtau refuses those, lookups simply find no build).
 */
export function devPtauFile(power: number): PtauFile {
  const path = power <= DEV_PTAU_POWER ? devPtauPath() : nativeDevPtauPath(power);
  return { path, power: Math.max(power, DEV_PTAU_POWER), sha256: committedHashes().get(basename(path)) };
}

/** A file's sha256, computed once per file version (size and mtime): these files are large. */
const hashes = new Map<string, Promise<string>>();
export function cachedFileSha256(path: string): Promise<string> {
  const { size, mtimeMs } = statSync(path);
  const key = `${path}:${size}:${mtimeMs}`;
  let hash = hashes.get(key);
  if (!hash) {
    hash = new Promise<string>((resolve, reject) => {
      const h = createHash('sha256');
      createReadStream(path)
        .on('data', (chunk) => h.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(h.digest('hex')));
    });
    hashes.set(key, hash);
    hash.catch(() => hashes.delete(key));
  }
  return hash;
}

/**
 * The development powers of tau of 2^power, ready to use: the committed 2^14 file, or a larger one
 * written by the native core from the development beacon on first need (docs/trusted-setup.md).
 * Either way its sha256 must be the committed one. One process writes it while others wait
 * (a lock file beside it); a crash leaves no partial file (the native writer renames into place).
 */
export async function ensureDevPtau(
  power: number,
  onProgress?: (step: string, detail?: string) => void,
): Promise<PtauFile> {
  if (power > MAX_DEV_PTAU_POWER) throw new CeremonyTooSmallError(2 ** power - 3, MAX_DEV_PTAU_POWER);
  const file = devPtauFile(power);
  if (file.power <= DEV_PTAU_POWER && !existsSync(file.path))
    throw new PtauMismatchError(file.path, file.sha256 ?? '(none committed)', '(missing)');
  return ensurePtau(file, nativeAddon(), onProgress);
}

/**
 * `file`, written by `addon` when it is missing, then checked against `file.sha256` (ensureDevPtau
 * with the development files; specs with their own).
 */
export async function ensurePtau(
  file: PtauFile,
  addon: NativeAddon | null,
  onProgress?: (step: string, detail?: string) => void,
): Promise<PtauFile> {
  if (!file.sha256) throw new PtauMismatchError(file.path, '(none committed)', '(not checked)');
  if (!existsSync(file.path)) await writeOnce(file, addon, onProgress);
  const actual = await cachedFileSha256(file.path);
  if (actual !== file.sha256) throw new PtauMismatchError(file.path, file.sha256, actual);
  return file;
}

async function writeOnce(
  file: PtauFile,
  addon: NativeAddon | null,
  onProgress?: (step: string, detail?: string) => void,
) {
  if (!addon) throw new PtauUnavailableError(file.power, nativeStatus().detail);
  const lock = `${file.path}.lock`;
  for (;;) {
    if (existsSync(file.path)) return;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      // Someone else writes it; take over only when that process is gone.
      const holder = Number(readIfThere(lock).trim() || NaN);
      if (Number.isInteger(holder) && !alive(holder)) rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      if (existsSync(file.path)) return;
      onProgress?.('ptau', `writing the 2^${file.power} development powers of tau natively to ${file.path}`);
      const start = performance.now();
      let reported = -1;
      await callNativeAsync(() =>
        addon.writePtauAsync(file.path, file.power, null, (p) => {
          const percent = Math.floor((100 * p.done) / p.total);
          if (percent >= reported + 10) onProgress?.('ptau', `${(reported = percent)}% (${p.stage})`);
        }),
      );
      onProgress?.('ptau done', `${((performance.now() - start) / 1000).toFixed(1)} s`);
      return;
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
