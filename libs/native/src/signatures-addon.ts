/** Per claim of a batch: the recovered signer, or the `[CODE] message` of why none recovers. */
export interface RecoveredSigners {
  /** Lowercase 0x-hex addresses; null where the signature recovers no signer. */
  signers: (string | null)[];
  /** `[SIGNATURE_LENGTH|SIGNATURE_V|SIGNATURE_HIGH_S|SIGNATURE_SCALAR|SIGNATURE_UNRECOVERABLE] …`, or null. */
  errors: (string | null)[];
}

/**
 * The signatures functions of the native addon (native/crates/node/src/signatures.rs). A claim's
 * fields are 180 bytes: modelId, taskId, inputCommitment, outputCommitment, traceRoot (32 each),
 * operator (20).
 */
export interface SignaturesAddon {
  /** hashStruct(EIP712Domain): 32 bytes. Throws SIGNATURE_DOMAIN for a bad contract or chain id. */
  claimDomainSeparator(name: string, version: string, chainId: number, verifyingContract: Buffer): Buffer;
  /** The EIP-712 digest of each claim, 32 bytes each. Throws SIGNATURE_FIELDS for a bad length. */
  claimDigests(separator: Buffer, fields: Buffer): Buffer;
  /**
   * Recovers each claim's signer on libuv's thread pool, refusing what OpenZeppelin's
   * ECDSA.recover refuses. Rejects with SIGNATURE_FIELDS when fields and signatures do not pair up.
   */
  recoverClaimSignersAsync(
    separator: Buffer,
    fields: Buffer,
    signatures: Buffer[],
  ): Promise<RecoveredSigners>;
}
