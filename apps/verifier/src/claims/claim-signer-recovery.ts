import { recoverClaimSigner } from '@verilay/chain';
import type { ClaimDomain } from '@verilay/protocol';
import type { SignedFields } from './intake-jobs';

/**
 * The intake's port for recovering claim signers (EIP-712 + secp256k1). Both
 * adapters accept exactly what OpenZeppelin's `ECDSA.recover` accepts on chain (65 bytes, v in
 * {27, 28}, low s): anything else recovers no signer (null), and the claim is refused
 * INVALID_SIGNATURE.
 */
export abstract class ClaimSignerRecovery {
  abstract readonly kind: 'native' | 'javascript';
  /** Per claim, in order: its signer's address (lowercase 0x-hex), or null. */
  abstract recover(claims: readonly SignedFields[], domain: ClaimDomain): Promise<(`0x${string}` | null)[]>;
}

/**
 * JavaScript: libs/chain's recoverClaimSigner (viem's EIP-712 hash, libsecp256k1 from the
 * `secp256k1` package, ~0.1 ms a claim), on the event loop. Not on the intake threads: that
 * package's addon, called from a worker thread, aborted the process with a corrupted heap (seen
 * under jest), and its pure-JS alternative costs ~4 ms a claim.
 */
export class JsClaimSignerRecovery extends ClaimSignerRecovery {
  readonly kind = 'javascript';
  async recover(claims: readonly SignedFields[], domain: ClaimDomain) {
    const signers: (`0x${string}` | null)[] = [];
    for (const c of claims)
      signers.push(
        ((await recoverClaimSigner(c.fields, c.signature as `0x${string}`, domain))?.toLowerCase() ??
          null) as `0x${string}` | null,
      );
    return signers;
  }
}
