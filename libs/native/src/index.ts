export type { NativeAddon } from './addon';
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
