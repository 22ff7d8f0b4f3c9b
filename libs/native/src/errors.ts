import { BaseError } from '@verilay/errors';

export class InvalidNativeModeError extends BaseError {
  readonly code = 'INVALID_NATIVE_MODE';
  constructor(value: string) {
    super(`VERILAY_NATIVE is "${value}"; expected auto, on or off`, { meta: { value } });
  }
}

/** VERILAY_NATIVE=on, but the addon is not built or does not load. */
export class NativeUnavailableError extends BaseError {
  readonly code = 'NATIVE_UNAVAILABLE';
  constructor(reason: string) {
    super(`VERILAY_NATIVE=on, but the native core is unavailable: ${reason}`, {
      details: 'Build it with `npm run build` (needs cargo), or set VERILAY_NATIVE=auto or off.',
      meta: { reason },
    });
  }
}

/**
 * An error the native core reported: `nativeCode` is its stable code (e.g. ZKEY_INVALID,
 * WITNESS_LENGTH, NATIVE_PANIC); the message is the native one.
 */
export class NativeError extends BaseError {
  readonly code = 'NATIVE_ERROR';
  constructor(
    readonly nativeCode: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause, meta: { nativeCode } });
  }
}

/**
 * Runs a native call and maps its error (`[CODE] message`, see native/crates/node/src/error.rs;
 * a caught panic reads "panic in native code") to a NativeError.
 */
export function mapNativeError(error: unknown): unknown {
  // Not `instanceof Error`: the addon makes its errors in the main realm, which differs from a
  // vm context's (jest's, for one).
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return error;
  const match = /^\[([A-Z0-9_]+)\] ([\s\S]*)$/.exec(message);
  return match ? new NativeError(match[1], match[2], error) : error;
}

export function callNative<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw mapNativeError(error);
  }
}

export async function callNativeAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    throw mapNativeError(error);
  }
}
