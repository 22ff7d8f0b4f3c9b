import { callNativeAsync, type NativeAddon } from '@verilay/native';
import { Groth16Prover, type Groth16ProofResult } from './groth16-prover';

type NativeProvingKey = Awaited<ReturnType<NativeAddon['loadNativeProvingKey']>>;

/** A Buffer view of the same bytes (the addon takes Buffers; no copy). */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The native adapter: the key parsed once into native memory (native/crates/prover); each proof
 * runs off the event loop and is checked under the key's verification key before it is returned.
 * Errors are NativeErrors: ZKEY_INVALID, WITNESS_LENGTH, WITNESS_INVALID, WITNESS_UNSATISFIED.
 */
export class NativeGroth16Prover extends Groth16Prover {
  readonly implementation = 'native';

  private constructor(private readonly key: NativeProvingKey) {
    super();
  }

  static async load(addon: NativeAddon, zkey: Uint8Array): Promise<NativeGroth16Prover> {
    return new NativeGroth16Prover(await callNativeAsync(() => addon.loadNativeProvingKey(asBuffer(zkey))));
  }

  /** Wires of the key's circuit (the witness length). */
  get nVars(): number {
    return this.key.nVars;
  }

  async prove(wtns: Uint8Array): Promise<Groth16ProofResult> {
    const { publicSignals, pi_a, pi_b, pi_c } = await callNativeAsync(() => this.key.prove(asBuffer(wtns)));
    return { proof: { pi_a, pi_b, pi_c, protocol: 'groth16', curve: 'bn128' }, publicSignals };
  }
}
