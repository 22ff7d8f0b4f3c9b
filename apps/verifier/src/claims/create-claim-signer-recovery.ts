import { nativeAddon, type NativeAddon } from '@verilay/native';
import { ClaimSignerRecovery, JsClaimSignerRecovery } from './claim-signer-recovery';
import { NativeClaimSignerRecovery } from './native-claim-signer-recovery';

/** The native adapter (libuv's pool, off the event loop) when the addon loads (VERILAY_NATIVE), else the JavaScript one. */
export function createClaimSignerRecovery(addon: NativeAddon | null = nativeAddon()): ClaimSignerRecovery {
  return addon ? new NativeClaimSignerRecovery(addon) : new JsClaimSignerRecovery();
}
