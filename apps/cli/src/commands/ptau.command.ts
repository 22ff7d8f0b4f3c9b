import { callNativeAsync, nativeAddon, nativeStatus } from '@verilay/native';
import {
  cachedFileSha256,
  DEV_PTAU_POWER,
  devPtauFile,
  ensureDevPtau,
  MAX_DEV_PTAU_POWER,
  PtauUnavailableError,
} from '@verilay/zk';
import { resolve } from 'node:path';

export interface PtauOptions {
  readonly power: number;
  readonly out?: string;
}

/**
 * `verilay ptau --power N [--out path]`: writes the development powers of tau of 2^N natively
 * (docs/trusted-setup.md): one public beacon, so its toxic waste is known; development only.
 * For 2^15…2^20 without --out it goes where circuit builds look for it (circuits/ptau/potN_dev.ptau)
 * and must match the committed sha256; with --out (or another power), anywhere (default: the
 * current directory), and the hash is compared when one is committed.
 */
export async function ptau(opts: PtauOptions): Promise<void> {
  const started = performance.now();
  const say = (step: string, detail?: string) =>
    console.error(
      `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${step}${detail ? ` ${detail}` : ''}`,
    );
  // Between the committed 2^14 and 2^20 a file has a committed hash: write it where builds look.
  const hasCommittedHash = opts.power > DEV_PTAU_POWER && opts.power <= MAX_DEV_PTAU_POWER;
  if (!opts.out && hasCommittedHash) {
    const file = await ensureDevPtau(opts.power, say);
    console.log(
      JSON.stringify({ power: file.power, path: file.path, sha256: file.sha256, committed: true }, null, 2),
    );
    return;
  }
  const addon = nativeAddon();
  if (!addon) throw new PtauUnavailableError(opts.power, nativeStatus().detail);
  const path = resolve(opts.out ?? `pot${opts.power}_dev.ptau`);
  let reported = -1;
  const written = await callNativeAsync(() =>
    addon.writePtauAsync(path, opts.power, null, (p) => {
      const percent = Math.floor((100 * p.done) / p.total);
      if (percent >= reported + 5) say(`${(reported = percent)}%`, p.stage);
    }),
  );
  const sha256 = await cachedFileSha256(path);
  const committed = hasCommittedHash ? devPtauFile(opts.power).sha256 : undefined;
  if (committed && committed !== sha256)
    throw new Error(`${path}: sha256 ${sha256} differs from the committed ${committed}`);
  say('written', `${(written.bytes / 2 ** 20).toFixed(1)} MiB`);
  console.log(
    JSON.stringify(
      {
        power: written.power,
        path,
        bytes: written.bytes,
        sha256,
        committed: committed ? true : null,
        nextChallenge: written.nextChallenge,
      },
      null,
      2,
    ),
  );
}
