import type { CeremonyAddon } from './ceremony-addon';
import type { GpuAddon } from './gpu-addon';
import type { KernelsAddon } from './kernels-addon';
import type { PoseidonAddon } from './poseidon-addon';
import type { ProverAddon } from './prover-addon';
import type { SetupAddon } from './setup-addon';
import type { SignaturesAddon } from './signatures-addon';

/** The functions native/crates/node exports (napi-rs names them in camelCase). */
export interface NativeAddon
  extends CeremonyAddon, GpuAddon, KernelsAddon, PoseidonAddon, ProverAddon, SetupAddon, SignaturesAddon {
  nativeVersion(): string;
  /** Panics in Rust on purpose: the binding must turn it into a JS error. */
  nativePanicForTest(message: string): string;
}
