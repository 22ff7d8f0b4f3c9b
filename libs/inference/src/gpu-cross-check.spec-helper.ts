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
    if (process.env.VERILAY_REQUIRE_GPU === '1') throw error;
    console.warn(`GPU specs skipped: ${(error as Error).message}`);
    return null;
  }
}
