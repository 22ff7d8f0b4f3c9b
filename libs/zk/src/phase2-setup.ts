import { callNativeAsync, nativeAddon, type NativeAddon } from '@verilay/native';
import { rmSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { SetupFailedError } from './errors';
import { hHashOverread } from './h-hash-overread';

/** The public beacon that ends a phase 2 (`snarkjs zkey beacon <hash> <iterationsExp>`). */
export interface Phase2Beacon {
  readonly hash: string;
  readonly iterationsExp: number;
  readonly name: string;
}

/**
 * The phase-2 setup port: a circuit's Groth16 proving key from its .r1cs and a powers of tau
 * prepared for phase 2, ended by a public beacon. Both adapters write the same bytes (what
 * `snarkjs zkey new` then `snarkjs zkey beacon` write; phase2-setup.spec.ts), so a build's cache
 * hash does not depend on which ran. `phase2Setup()` picks per VERILAY_NATIVE.
 */
export abstract class Phase2Setup {
  /** Which adapter runs (for build logs and benchmarks). */
  abstract readonly implementation: 'snarkjs' | 'native';
  /** Writes the key to `zkeyPath`. */
  abstract setup(r1csPath: string, ptauPath: string, zkeyPath: string, beacon: Phase2Beacon): Promise<void>;
}

/** snarkjs: `zKey.newZKey` to an intermediate key, then `zKey.beacon`. */
export class SnarkjsPhase2Setup extends Phase2Setup {
  readonly implementation = 'snarkjs';

  async setup(r1csPath: string, ptauPath: string, zkeyPath: string, beacon: Phase2Beacon): Promise<void> {
    const zkey0 = `${zkeyPath}.0000`;
    try {
      await snarkjs.zKey.newZKey(r1csPath, ptauPath, zkey0);
      // snarkjs answers false (no throw) for a bad beacon.
      const ok = await snarkjs.zKey.beacon(zkey0, zkeyPath, beacon.name, beacon.hash, beacon.iterationsExp);
      if (!ok) throw new SetupFailedError('snarkjs zkey beacon refused the beacon');
    } finally {
      rmSync(zkey0, { force: true });
    }
  }
}

/**
 * The native core (native/crates/setup): one pass, no intermediate key. The one csHash input
 * only ffjavascript's wasm reproduces (a point snarkjs reads past a section) comes from
 * h-hash-overread.ts.
 */
export class NativePhase2Setup extends Phase2Setup {
  readonly implementation = 'native';

  constructor(private readonly addon: NativeAddon) {
    super();
  }

  async setup(r1csPath: string, ptauPath: string, zkeyPath: string, beacon: Phase2Beacon): Promise<void> {
    const overread = await hHashOverread(r1csPath, ptauPath);
    await callNativeAsync(() =>
      this.addon.writeZkeyAsync(
        r1csPath,
        ptauPath,
        zkeyPath,
        { hashHex: beacon.hash, iterationsExp: beacon.iterationsExp, name: beacon.name },
        overread,
      ),
    );
  }
}

/** The native setup where `nativeAddon()` has one, else snarkjs'. */
export function phase2Setup(addon: NativeAddon | null = nativeAddon()): Phase2Setup {
  return addon ? new NativePhase2Setup(addon) : new SnarkjsPhase2Setup();
}
