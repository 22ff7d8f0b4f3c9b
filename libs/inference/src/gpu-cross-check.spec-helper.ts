import { nativeAddon, type NativeGpuHandle } from '@verilay/native';

/**
 * The GPU for a spec, or null (the spec then skips, saying why) when none opens here; with
 * VERILAY_REQUIRE_GPU=1 (CI, on lavapipe) a missing GPU fails instead.
 */
export function testGpu(): NativeGpuHandle | null {
  try {
    const NativeGpu = nativeAddon()?.NativeGpu;
    if (!NativeGpu) throw new Error('the native core (with its GPU executor) is not built');
    return NativeGpu.open();
  } catch (error) {
    // (VERILAY_NATIVE=off has no GPU to require: the GPU executor is part of the native core.)
    if (process.env.VERILAY_REQUIRE_GPU === '1' && process.env.VERILAY_NATIVE !== 'off') throw error;
    console.warn(`GPU specs skipped: ${(error as Error).message}`);
    return null;
  }
}
