import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NativeAddon } from './addon';
import { NativeUnavailableError } from './errors';
import { nativeModeFromEnv, type NativeMode } from './native-mode';

/** What runs the native core's ports in this process, for boot logs, /health and metrics. */
export interface NativeStatus {
  readonly mode: NativeMode;
  /** true when the ports run native code. */
  readonly active: boolean;
  /** The addon's version when active; else why not. */
  readonly detail: string;
  readonly path?: string;
}

/** native/verilay.node, found from src and from dist alike (the nearest ancestor holding native/Cargo.toml). */
export function addonPath(from = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'native/Cargo.toml'))) return join(dir, 'native/verilay.node');
    if (dirname(dir) === dir) return undefined;
  }
}

let loaded: { addon: NativeAddon | null; status: NativeStatus } | undefined;

function load(): { addon: NativeAddon | null; status: NativeStatus } {
  const mode = nativeModeFromEnv();
  if (mode === 'off') return { addon: null, status: { mode, active: false, detail: 'VERILAY_NATIVE=off' } };
  const path = addonPath();
  let reason: string;
  if (!path || !existsSync(path)) {
    reason = 'native/verilay.node is not built (npm run build builds it where cargo exists)';
  } else {
    try {
      // A .node addon loads only through require (no ESM import of native modules in CommonJS).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const addon = require(path) as NativeAddon;
      return { addon, status: { mode, active: true, detail: addon.nativeVersion(), path } };
    } catch (error) {
      reason = `native/verilay.node does not load: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return { addon: null, status: { mode, active: false, detail: reason, path } };
}

/**
 * The native addon, or null where the JavaScript paths run (VERILAY_NATIVE=off, or `auto` with no
 * usable addon). With VERILAY_NATIVE=on a missing addon throws NativeUnavailableError. Loaded once.
 */
export function nativeAddon(): NativeAddon | null {
  loaded ??= load();
  if (!loaded.addon && loaded.status.mode === 'on') throw new NativeUnavailableError(loaded.status.detail);
  return loaded.addon;
}

/** Whether the ports run native code, and why (never throws; see nativeAddon for `on`). */
export function nativeStatus(): NativeStatus {
  loaded ??= load();
  return loaded.status;
}

/** Forgets the loaded state so the next call reads VERILAY_NATIVE again (specs only). */
export function resetNativeForTest(): void {
  loaded = undefined;
}

/**
 * The apps' boot check: with VERILAY_NATIVE=on and no usable addon the app must not start (it
 * throws NativeUnavailableError); otherwise it returns what runs, for the boot log.
 */
export function checkNativeAtBoot(
  configured: NativeMode = nativeStatus().mode,
  status: NativeStatus = nativeStatus(),
): NativeStatus {
  if ((configured === 'on' || status.mode === 'on') && !status.active)
    throw new NativeUnavailableError(status.detail);
  return status;
}

/** One line for a boot log: which implementation the ports run. */
export function describeNative(status: NativeStatus = nativeStatus()): string {
  return status.active
    ? `native core ${status.detail} (VERILAY_NATIVE=${status.mode})`
    : `JavaScript paths (VERILAY_NATIVE=${status.mode}: ${status.detail})`;
}
