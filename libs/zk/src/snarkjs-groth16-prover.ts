import * as snarkjs from 'snarkjs';
import { Groth16Prover, type Groth16ProofResult } from './groth16-prover';

/** The JavaScript adapter: snarkjs' prover over the key's bytes held in memory. */
export class SnarkjsGroth16Prover extends Groth16Prover {
  readonly implementation = 'snarkjs';

  constructor(private readonly zkey: Uint8Array) {
    super();
  }

  prove(wtns: Uint8Array): Promise<Groth16ProofResult> {
    return snarkjs.groth16.prove({ type: 'mem', data: this.zkey }, { type: 'mem', data: wtns });
  }
}
