import { callNativeAsync, type NativeAddon } from '@verilay/native';
import type { ClaimDomain } from '@verilay/protocol';
import { availableParallelism } from 'node:os';
import { ClaimSignerRecovery } from './claim-signer-recovery';
import type { SignedFields } from './intake-jobs';

/** Fewest claims worth a libuv task of their own. */
const MIN_PART = 16;
/** Bytes of one claim's fields for the addon: five bytes32, then the operator. */
const FIELDS_LEN = 5 * 32 + 20;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const EVEN_HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

/** One claim's native verdict: its signer, or the native error code (SIGNATURE_HIGH_S, ...). */
export type NativeRecovery =
  | { readonly signer: `0x${string}`; readonly error: null }
  | { readonly signer: null; readonly error: string };

/**
 * Native: native/crates/signatures (k256), a batch per call on libuv's thread pool. A claim whose
 * fields are not well-formed hex is refused here, as viem's hashing refuses it on the JavaScript path.
 */
export class NativeClaimSignerRecovery extends ClaimSignerRecovery {
  readonly kind = 'native';
  private readonly separators = new Map<string, Buffer>();

  constructor(private readonly addon: NativeAddon) {
    super();
  }

  /** Large batches are split so that every core's libuv thread takes a part. */
  async recover(claims: readonly SignedFields[], domain: ClaimDomain) {
    const parts = Math.min(availableParallelism(), Math.ceil(claims.length / MIN_PART));
    const size = Math.ceil(claims.length / Math.max(1, parts));
    const results = await Promise.all(
      Array.from({ length: Math.max(1, parts) }, (_, i) =>
        this.recoverWithReasons(claims.slice(i * size, (i + 1) * size), domain),
      ),
    );
    return results.flat().map((r) => r.signer);
  }

  /** Per claim: its signer, or why none (a native error code, or FIELDS_MALFORMED). */
  async recoverWithReasons(claims: readonly SignedFields[], domain: ClaimDomain): Promise<NativeRecovery[]> {
    const separator = this.separator(domain);
    const wellFormed = claims.map(
      ({ fields: f }) =>
        [f.modelId, f.taskId, f.inputCommitment, f.outputCommitment, f.traceRoot].every((w) =>
          BYTES32.test(w),
        ) && ADDRESS.test(f.operator),
    );
    const checked = claims.filter((_, i) => wellFormed[i]);
    const fields = Buffer.alloc(checked.length * FIELDS_LEN);
    checked.forEach(({ fields: f }, i) => {
      let at = i * FIELDS_LEN;
      for (const word of [
        f.modelId,
        f.taskId,
        f.inputCommitment,
        f.outputCommitment,
        f.traceRoot,
        f.operator,
      ])
        at += fields.write(word.slice(2), at, 'hex');
    });
    // Odd-length or non-hex signatures become empty: refused as SIGNATURE_LENGTH.
    const signatures = checked.map((c) =>
      EVEN_HEX.test(c.signature) ? Buffer.from(c.signature.slice(2), 'hex') : Buffer.alloc(0),
    );
    const { signers, errors } = await callNativeAsync(() =>
      this.addon.recoverClaimSignersAsync(separator, fields, signatures),
    );
    let next = 0;
    return wellFormed.map((ok): NativeRecovery => {
      if (!ok) return { signer: null, error: 'FIELDS_MALFORMED' };
      const i = next++;
      const signer = signers[i];
      return signer
        ? { signer: signer as `0x${string}`, error: null }
        : { signer: null, error: /^\[([A-Z0-9_]+)\]/.exec(errors[i] ?? '')?.[1] ?? 'SIGNATURE_INVALID' };
    });
  }

  private separator(domain: ClaimDomain): Buffer {
    const key = `${domain.name}\n${domain.version}\n${domain.chainId}\n${domain.verifyingContract}`;
    let separator = this.separators.get(key);
    if (!separator) {
      if (!ADDRESS.test(domain.verifyingContract))
        throw new Error(
          `the claim domain's verifyingContract is not an address: ${domain.verifyingContract}`,
        );
      separator = this.addon.claimDomainSeparator(
        domain.name,
        domain.version,
        domain.chainId,
        Buffer.from(domain.verifyingContract.slice(2), 'hex'),
      );
      this.separators.set(key, separator);
    }
    return separator;
  }
}
