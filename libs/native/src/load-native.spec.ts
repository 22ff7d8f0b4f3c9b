import { NativeError } from './errors';
import {
  checkNativeAtBoot,
  describeNative,
  nativeAddon,
  nativeStatus,
  resetNativeForTest,
} from './load-native';
import { nativeModeFromEnv } from './native-mode';
import { callNative } from './errors';

describe('nativeModeFromEnv', () => {
  it('defaults to auto and reads on/off in any case', () => {
    expect(nativeModeFromEnv({})).toBe('auto');
    expect(nativeModeFromEnv({ VERILAY_NATIVE: ' ON ' })).toBe('on');
    expect(nativeModeFromEnv({ VERILAY_NATIVE: 'off' })).toBe('off');
  });

  it('names the variable for a bad value', () => {
    expect(() => nativeModeFromEnv({ VERILAY_NATIVE: 'yes' })).toThrow(/VERILAY_NATIVE is "yes"/);
  });
});

describe('nativeAddon', () => {
  const saved = process.env.VERILAY_NATIVE;
  afterEach(() => {
    if (saved === undefined) delete process.env.VERILAY_NATIVE;
    else process.env.VERILAY_NATIVE = saved;
    resetNativeForTest();
  });

  it('is null with VERILAY_NATIVE=off, and says why', () => {
    process.env.VERILAY_NATIVE = 'off';
    resetNativeForTest();
    expect(nativeAddon()).toBeNull();
    expect(nativeStatus()).toMatchObject({ mode: 'off', active: false });
  });

  // The rest needs the built addon: CI builds it (npm test builds first); the fallback run
  // (VERILAY_NATIVE=off) skips it.
  const built = (() => {
    if (process.env.VERILAY_NATIVE === 'off') return false;
    resetNativeForTest();
    return nativeStatus().active;
  })();
  const withAddon = built ? it : it.skip;

  withAddon('loads the built addon and reports its version', () => {
    expect(nativeAddon()!.nativeVersion()).toMatch(/^verilay-node \d+\.\d+\.\d+/);
    expect(nativeStatus()).toMatchObject({ active: true });
  });

  withAddon('turns a panic in Rust into a JS error, and the process goes on', () => {
    const addon = nativeAddon()!;
    let caught: unknown;
    try {
      callNative(() => addon.nativePanicForTest('boom from the spec'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NativeError);
    expect((caught as NativeError).nativeCode).toBe('NATIVE_PANIC');
    expect((caught as NativeError).message).toContain('boom from the spec');
    expect(addon.nativeVersion()).toMatch(/^verilay-node/); // still usable
  });
});

describe('checkNativeAtBoot', () => {
  const missing = { mode: 'on' as const, active: false, detail: 'native/verilay.node is not built' };

  it('stops an app configured with VERILAY_NATIVE=on when the addon is missing', () => {
    expect(() => checkNativeAtBoot('on', missing)).toThrow(/VERILAY_NATIVE=on.*not built/);
    expect(() => checkNativeAtBoot('on', { ...missing, mode: 'auto' })).toThrow(/unavailable/);
  });

  it('lets auto and off boot on the JavaScript paths, and says so', () => {
    const status = { ...missing, mode: 'auto' as const };
    expect(checkNativeAtBoot('auto', status)).toBe(status);
    expect(describeNative(status)).toMatch(
      /^JavaScript paths \(VERILAY_NATIVE=auto: native\/verilay.node is not built\)/,
    );
  });
});
