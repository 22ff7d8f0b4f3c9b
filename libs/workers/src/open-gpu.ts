import {
  callNative,
  mapNativeError,
  nativeAddon,
  NativeError,
  type NativeGpuHandle,
  type NativeGpuInfo,
  type NativeGpuOptions,
} from '@verilay/native';

/** The GPU device, or an error saying why none (the addon's own words where it answered). */
export function openGpu(options: NativeGpuOptions = {}): NativeGpuHandle {
  const addon = nativeAddon();
  if (!addon) throw new Error('the native core is not loaded (VERILAY_NATIVE=off, or not built)');
  const NativeGpu = addon.NativeGpu;
  if (!NativeGpu) throw new Error('the native addon was built without the GPU executor (npm run build)');
  return callNative(() => NativeGpu.open(options));
}

/**
 * Opens the GPU, reads its adapter and closes it again: what VERILAY_EXECUTOR decides on at boot,
 * synchronously (the executor's thread then opens its own device).
 */
export function probeGpu(options: NativeGpuOptions = {}): { adapter: NativeGpuInfo } | { reason: string } {
  try {
    const gpu = openGpu(options);
    try {
      return { adapter: gpu.info() };
    } finally {
      gpu.destroy();
    }
  } catch (error) {
    return { reason: gpuErrorMessage(error) };
  }
}

/** An error as one line, with the native code where the addon gave one (`[GPU_LIMIT] ...`). */
export function gpuErrorMessage(error: unknown): string {
  const mapped = mapNativeError(error);
  if (mapped instanceof NativeError) return `[${mapped.nativeCode}] ${mapped.message}`;
  return mapped instanceof Error ? mapped.message : String(mapped);
}
