import { claimTypedData, type ClaimDomain, type ClaimFields } from '@verilay/protocol';
import { ecdsaRecover } from 'secp256k1';
import { getAddress, hashTypedData, hexToBytes, keccak256, toHex } from 'viem';

/** secp256k1 group order / 2: signatures with a larger s are malleable twins. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * The address that signed a claim, or null when the signature is malformed or is one an
 * OpenZeppelin `ECDSA.recover` would refuse (v not 27/28, or high s). Callers compare it with
 * `claim.operator`, as the contract's check does.
 *
 * SAFETY: the verifier must accept exactly the signatures the chain accepts; a leaf it posts with
 * a signature the contract rejects is the sequencer's fault and slashes the sequencer.
 * Recovery uses libsecp256k1 (the `secp256k1` package's bundled native build; ~45x faster than
 * pure JS here, with its own JS fallback); a spec cross-checks it against viem.
 */
export async function recoverClaimSigner(
  claim: ClaimFields,
  signature: `0x${string}`,
  domain: ClaimDomain,
): Promise<`0x${string}` | null> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return null;
  const bytes = hexToBytes(signature);
  const v = bytes[64];
  if (v !== 27 && v !== 28) return null;
  const s = BigInt(toHex(bytes.subarray(32, 64)));
  if (s > HALF_N || s === 0n) return null;
  try {
    const digest = hexToBytes(hashTypedData(claimTypedData(claim, domain)));
    const publicKey = ecdsaRecover(bytes.subarray(0, 64), v - 27, digest, false);
    return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
  } catch {
    return null; // r or s out of range, or no point recovers
  }
}
