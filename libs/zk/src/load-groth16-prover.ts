import { nativeAddon, type NativeAddon } from '@verilay/native';
import type { Groth16Prover } from './groth16-prover';
import { NativeGroth16Prover } from './native-groth16-prover';
import { SnarkjsGroth16Prover } from './snarkjs-groth16-prover';

/**
 * The Groth16 prover for a proving key (.zkey bytes): the native core's where `nativeAddon()` has
 * one, else snarkjs'. Both read the same key and make proofs the same verifiers accept
 * (native-groth16-prover.spec.ts).
 */
export async function loadGroth16Prover(
  zkey: Uint8Array,
  addon: NativeAddon | null = nativeAddon(),
): Promise<Groth16Prover> {
  return addon ? NativeGroth16Prover.load(addon, zkey) : new SnarkjsGroth16Prover(zkey);
}
