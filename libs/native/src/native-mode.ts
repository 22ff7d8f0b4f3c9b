import { InvalidNativeModeError } from './errors';

/**
 * Which implementation of the native core's ports runs (VERILAY_NATIVE):
 * - `auto` (default): the native addon when it was built and loads, else the JavaScript paths;
 * - `on`: the native addon, or an error at the first use (a deployment that counts on its speed);
 * - `off`: the JavaScript paths only (the fallback, tested by CI on its own).
 */
export type NativeMode = 'auto' | 'on' | 'off';
export const NATIVE_MODES: readonly NativeMode[] = ['auto', 'on', 'off'];

/**
 * The mode from the environment. This is the one setting a lib reads from `process.env` itself:
 * it must hold alike in the apps, the CLI, worker threads and spawned replay processes, which all
 * inherit the environment; the apps still validate it at boot with the rest of their config.
 */
export function nativeModeFromEnv(env: NodeJS.ProcessEnv = process.env): NativeMode {
  const value = env.VERILAY_NATIVE?.trim().toLowerCase() || 'auto';
  if (!(NATIVE_MODES as readonly string[]).includes(value)) throw new InvalidNativeModeError(value);
  return value as NativeMode;
}
