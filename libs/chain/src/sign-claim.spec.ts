import { toHex32 } from '@verilay/commitments';
import { claimDomain, claimTypedData } from '@verilay/protocol';
import { hashTypedData, keccak256, encodeAbiParameters, toHex, concat, recoverTypedDataAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { recoverClaimSigner } from './recover-claim-signer';
import { signClaim } from './sign-claim';

const operator = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const other = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const domain = claimDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const claim = {
  modelId: toHex32(1n),
  taskId: toHex32(2n),
  inputCommitment: toHex32(3n),
  outputCommitment: toHex32(4n),
  traceRoot: toHex32(5n),
  operator: operator.address,
};

describe(signClaim.name, () => {
  it('produces a signature that recovers to the operator', async () => {
    const sut = await signClaim(operator, claim, domain);
    expect(await recoverClaimSigner(claim, sut, domain)).toBe(operator.address);
  });

  it('does not recover the operator when any field, the chain or the contract differs', async () => {
    const signature = await signClaim(operator, claim, domain);
    expect(await recoverClaimSigner({ ...claim, outputCommitment: toHex32(5n) }, signature, domain)).not.toBe(
      operator.address,
    );
    expect(await recoverClaimSigner(claim, signature, claimDomain(1, domain.verifyingContract))).not.toBe(
      operator.address,
    );
    expect(await recoverClaimSigner(claim, signature, claimDomain(31337, other.address))).not.toBe(
      operator.address,
    );
  });

  it('hashes the struct exactly as a Solidity EIP-712 implementation would', () => {
    // keccak256("\x19\x01" || domainSeparator || keccak256(abi.encode(CLAIM_TYPEHASH, fields...)))
    const typeHash = keccak256(
      toHex(
        'Claim(bytes32 modelId,bytes32 taskId,bytes32 inputCommitment,bytes32 outputCommitment,bytes32 traceRoot,address operator)',
      ),
    );
    const structHash = keccak256(
      encodeAbiParameters(
        ['bytes32', 'bytes32', 'bytes32', 'bytes32', 'bytes32', 'bytes32', 'address'].map((type) => ({
          type,
        })),
        [
          typeHash,
          claim.modelId,
          claim.taskId,
          claim.inputCommitment,
          claim.outputCommitment,
          claim.traceRoot,
          claim.operator,
        ],
      ),
    );
    const domainSeparator = keccak256(
      encodeAbiParameters(
        ['bytes32', 'bytes32', 'bytes32', 'uint256', 'address'].map((type) => ({ type })),
        [
          keccak256(
            toHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
          ),
          keccak256(toHex('verilay')),
          keccak256(toHex('1')),
          31337n,
          domain.verifyingContract,
        ],
      ),
    );
    expect(hashTypedData(claimTypedData(claim, domain))).toBe(
      keccak256(concat(['0x1901', domainSeparator, structHash])),
    );
  });

  it('refuses to sign for another operator', async () => {
    await expect(signClaim(other, claim, domain)).rejects.toThrow(/cannot sign for operator/);
  });

  it('returns null for a malformed signature', async () => {
    expect(await recoverClaimSigner(claim, '0x1234', domain)).toBeNull();
    expect(await recoverClaimSigner(claim, `0x${'00'.repeat(65)}`, domain)).toBeNull();
  });

  it('agrees with viem on random operators and claims (native recovery cross-check)', async () => {
    for (let i = 0; i < 25; i++) {
      const account = privateKeyToAccount(toHex32(BigInt(keccak256(toHex(i)))));
      const c = { ...claim, taskId: toHex32(BigInt(i)), operator: account.address };
      const signature = await signClaim(account, c, domain);
      const expected = await recoverTypedDataAddress({ ...claimTypedData(c, domain), signature });
      expect(await recoverClaimSigner(c, signature, domain)).toBe(expected);
      expect(expected).toBe(account.address);
    }
  });

  it('refuses what OpenZeppelin ECDSA.recover refuses: high-s twins and v outside 27/28', async () => {
    const signature = await signClaim(operator, claim, domain);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = parseInt(signature.slice(130), 16);
    // (r, n - s, v ^ 1) recovers the same key: valid for ecrecover, refused by OpenZeppelin.
    const twin: `0x${string}` = `0x${signature.slice(2, 66)}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`;
    expect(await recoverTypedDataAddress({ ...claimTypedData(claim, domain), signature: twin })).toBe(
      operator.address,
    );
    expect(await recoverClaimSigner(claim, twin, domain)).toBeNull();
    expect(await recoverClaimSigner(claim, `0x${signature.slice(2, 130)}01`, domain)).toBeNull();
  });
});
