export type { NativeAddon } from './addon';
export type {
  GpuAddon,
  NativeGpuBackends,
  NativeGpuHandle,
  NativeGpuInfo,
  NativeGpuLimits,
  NativeGpuModelHandle,
  NativeGpuOptions,
} from './gpu-addon';
export {
  callNative,
  callNativeAsync,
  InvalidNativeModeError,
  mapNativeError,
  NativeError,
  NativeUnavailableError,
} from './errors';
export {
  addonPath,
  checkNativeAtBoot,
  describeNative,
  nativeAddon,
  nativeStatus,
  resetNativeForTest,
  type NativeStatus,
} from './load-native';
export { NATIVE_MODES, nativeModeFromEnv, type NativeMode } from './native-mode';
