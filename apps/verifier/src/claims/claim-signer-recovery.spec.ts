import { NativeError, nativeAddon, nativeStatus, callNative, callNativeAsync } from '@verilay/native';
import { claimDomain, claimTypedData, type ClaimFields } from '@verilay/protocol';
import { randomBytes } from 'node:crypto';
import { hashTypedData, recoverTypedDataAddress, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { JsClaimSignerRecovery } from './claim-signer-recovery';
import type { SignedFields } from './intake-jobs';
import { NativeClaimSignerRecovery } from './native-claim-signer-recovery';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const domain = claimDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const word = () => toHex(randomBytes(32));
const hex32 = (n: bigint) => n.toString(16).padStart(64, '0');

async function randomSigned(): Promise<SignedFields & { signer: `0x${string}` }> {
  const account = privateKeyToAccount(generatePrivateKey());
  const fields: ClaimFields = {
    modelId: word(),
    taskId: word(),
    inputCommitment: word(),
    outputCommitment: word(),
    traceRoot: word(),
    operator: account.address.toLowerCase() as `0x${string}`,
  };
  const signature = await account.signTypedData(claimTypedData(fields, domain));
  return { fields, signature, signer: account.address.toLowerCase() as `0x${string}` };
}

/** The malformed twins of a good signature, each with the native code it must be refused with. */
function hostile(signature: string): [string, string][] {
  const r = BigInt(`0x${signature.slice(2, 66)}`);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = parseInt(signature.slice(130), 16);
  const flip = (v === 27 ? 28 : 27).toString(16);
  return [
    [`0x${hex32(r)}${hex32(N - s)}${flip}`, 'SIGNATURE_HIGH_S'], // valid for ecrecover, not for ECDSA.recover
    [`0x${signature.slice(2, 130)}00`, 'SIGNATURE_V'],
    [`0x${signature.slice(2, 130)}01`, 'SIGNATURE_V'],
    [`0x${signature.slice(2, 130)}1d`, 'SIGNATURE_V'],
    [signature.slice(0, 130), 'SIGNATURE_LENGTH'], // 64 bytes
    [`${signature}00`, 'SIGNATURE_LENGTH'], // 66 bytes
    [`${signature}0`, 'SIGNATURE_LENGTH'], // odd hex
    ['0x', 'SIGNATURE_LENGTH'],
    [`0x${'zz'.repeat(65)}`, 'SIGNATURE_LENGTH'], // not hex
    ['not a signature at all', 'SIGNATURE_LENGTH'],
    [`0x${hex32(0n)}${signature.slice(66)}`, 'SIGNATURE_SCALAR'],
    [`0x${hex32(N)}${signature.slice(66)}`, 'SIGNATURE_SCALAR'],
    [`0x${signature.slice(2, 66)}${hex32(0n)}${signature.slice(130)}`, 'SIGNATURE_SCALAR'],
  ];
}

const js = new JsClaimSignerRecovery();
const addon = (() => {
  try {
    return nativeStatus().active ? nativeAddon() : null;
  } catch {
    return null;
  }
})();
// CI builds the addon; the fallback run (VERILAY_NATIVE=off) has none and skips the cross-checks.
const withAddon = addon ? describe : describe.skip;

describe(JsClaimSignerRecovery.name, () => {
  it('recovers viem-signed claims and refuses malformed signatures with null', async () => {
    const good = await randomSigned();
    const claims = [good, ...hostile(good.signature).map(([signature]) => ({ ...good, signature }))];
    expect(await js.recover(claims, domain)).toEqual([good.signer, ...Array(claims.length - 1).fill(null)]);
  });
});

withAddon(NativeClaimSignerRecovery.name, () => {
  const sut = addon ? new NativeClaimSignerRecovery(addon) : (undefined as never);

  it('hashes random claims to viem’s EIP-712 digest', async () => {
    const claims = await Promise.all(Array.from({ length: 20 }, randomSigned));
    const separator = addon!.claimDomainSeparator(
      domain.name,
      domain.version,
      domain.chainId,
      Buffer.from(domain.verifyingContract.slice(2), 'hex'),
    );
    const fields = Buffer.concat(
      claims.map(({ fields: f }) =>
        Buffer.from(
          [f.modelId, f.taskId, f.inputCommitment, f.outputCommitment, f.traceRoot, f.operator]
            .map((w) => w.slice(2))
            .join(''),
          'hex',
        ),
      ),
    );
    const digests = addon!.claimDigests(separator, fields);
    claims.forEach((c, i) =>
      expect(toHex(digests.subarray(32 * i, 32 * (i + 1)))).toBe(
        hashTypedData(claimTypedData(c.fields, domain)),
      ),
    );
  });

  it('recovers what viem recovers, on random keys and random claims', async () => {
    const claims = await Promise.all(Array.from({ length: 60 }, randomSigned));
    const expected = await Promise.all(
      claims.map(async (c) =>
        (
          await recoverTypedDataAddress({
            ...claimTypedData(c.fields, domain),
            signature: c.signature as `0x${string}`,
          })
        ).toLowerCase(),
      ),
    );
    expect(expected).toEqual(claims.map((c) => c.signer));
    expect(await sut.recover(claims, domain)).toEqual(expected);
    expect(await js.recover(claims, domain)).toEqual(expected);
  });

  it('refuses malleable, bad-v, wrong-length and garbage signatures as the JS path does, with typed codes', async () => {
    for (let round = 0; round < 5; round++) {
      const good = await randomSigned();
      const cases = hostile(good.signature);
      const claims = cases.map(([signature]) => ({ fields: good.fields, signature }));
      const native = await sut.recoverWithReasons(claims, domain);
      expect(native.map((r) => r.error)).toEqual(cases.map(([, code]) => code));
      expect(await js.recover(claims, domain)).toEqual(Array(cases.length).fill(null));
    }
  });

  it('agrees with the JS path on random 65-byte signatures (some recover a stranger, some nobody)', async () => {
    const good = await randomSigned();
    const claims = Array.from({ length: 300 }, () => {
      const bytes = randomBytes(65);
      if (bytes[0] & 1) bytes[32] &= 0x7f; // low s: recovery is tried
      if (bytes[1] & 1) bytes[64] = 27 + (bytes[2] & 1);
      return { fields: good.fields, signature: toHex(bytes) };
    });
    const [native, javascript] = await Promise.all([
      sut.recoverWithReasons(claims, domain),
      js.recover(claims, domain),
    ]);
    expect(native.map((r) => r.signer)).toEqual(javascript);
    const codes = new Set(native.map((r) => r.error));
    expect(codes).toContain('SIGNATURE_V');
    expect(codes).toContain('SIGNATURE_HIGH_S');
    expect(codes).toContain(null); // recovered someone (never the operator)
    expect(native.every((r) => r.signer !== good.signer)).toBe(true);
  });

  it('refuses claims whose fields are not hex, as viem’s hashing does', async () => {
    const good = await randomSigned();
    const bad = { ...good, fields: { ...good.fields, taskId: '0x1234' as `0x${string}` } };
    expect(await sut.recoverWithReasons([bad, good], domain)).toEqual([
      { signer: null, error: 'FIELDS_MALFORMED' },
      { signer: good.signer, error: null },
    ]);
    expect(await js.recover([bad, good], domain)).toEqual([null, good.signer]);
  });

  it('answers hostile calls to the addon with typed errors, never a crash', async () => {
    const a = addon!;
    const code = (f: () => unknown) => {
      try {
        callNative(f);
      } catch (e) {
        return e instanceof NativeError ? e.nativeCode : String(e);
      }
      return 'no error';
    };
    const separator = Buffer.alloc(32);
    expect(code(() => a.claimDomainSeparator('verilay', '1', 1, Buffer.alloc(19)))).toBe('SIGNATURE_DOMAIN');
    expect(code(() => a.claimDomainSeparator('verilay', '1', -1, Buffer.alloc(20)))).toBe('SIGNATURE_DOMAIN');
    expect(code(() => a.claimDigests(Buffer.alloc(31), Buffer.alloc(180)))).toBe('SIGNATURE_DOMAIN');
    expect(code(() => a.claimDigests(separator, Buffer.alloc(181)))).toBe('SIGNATURE_FIELDS');
    expect(code(() => a.recoverClaimSignersAsync(separator, Buffer.alloc(360), [Buffer.alloc(65)]))).toBe(
      'SIGNATURE_FIELDS',
    );
    // Wrong JS types are napi's own errors, not aborts.
    expect(code(() => a.claimDigests('x' as never, 7 as never))).not.toBe('no error');
    expect(code(() => a.recoverClaimSignersAsync(separator, Buffer.alloc(180), ['x' as never]))).not.toBe(
      'no error',
    );
    const empty = await callNativeAsync(() => a.recoverClaimSignersAsync(separator, Buffer.alloc(0), []));
    expect(empty).toEqual({ signers: [], errors: [] });
    expect(a.nativeVersion()).toMatch(/^verilay-node/); // still usable
  });
});
