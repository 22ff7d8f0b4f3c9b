import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { addonPath, nativeStatus, resetNativeForTest } from './load-native';

// Every native entry point fed what a hostile peer could send (a verifier serving a crafted key,
// a client's claim, a model file): each call must end in a typed error (`[CODE] ...`) or a
// checked result, never an abort. The calls run in a child process: an abort there (allocation
// failure, a panic outside `guard`) is a failed assertion here, not a lost jest worker.
const FIXTURES = join(__dirname, '../../../native/crates/prover/tests/fixtures');

const CALLS = (addon: string) => `
const fs = require('node:fs');
const addon = require(${JSON.stringify(addon)});
const tag = (e) => (/^\\[([A-Z0-9_]+)\\]/.exec(String(e && e.message)) || [])[1] || 'JS_' + (e && e.name);
const results = {};
const call = async (name, f) => {
  try { await f(); results[name] = 'ok'; } catch (e) { results[name] = tag(e); }
};
const word = (v) => Buffer.from(BigInt(v).toString(16).padStart(64, '0'), 'hex');
const le = (v) => word(v).reverse();
const contract = Buffer.alloc(20, 1);
(async () => {
  // Poseidon and tensor commitments.
  await call('poseidon none', () => addon.poseidonHash(Buffer.alloc(0)));
  await call('poseidon 17 inputs', () => addon.poseidonHash(Buffer.alloc(17 * 32)));
  await call('poseidon ragged', () => addon.poseidonHash(Buffer.alloc(33)));
  await call('poseidon >= r', () => addon.poseidonHash(Buffer.alloc(32, 0xff)));
  for (const code of [NaN, -1, 0, 5, 4.5, 2 ** 32 + 4, Infinity])
    await call('dtype ' + code, () => addon.commitTensorI32(code, new Int32Array([1]), null));
  await call('salt 31 bytes', () => addon.commitTensorI32(4, new Int32Array([1]), Buffer.alloc(31)));
  await call('salt >= r', () => addon.commitTensorI32(4, new Int32Array([1]), Buffer.alloc(32, 0xff)));
  for (const v of [NaN, Infinity, 2 ** 31, -(2 ** 31) - 1, 0.5])
    await call('int32 value ' + v, () => addon.commitTensorF64(4, new Float64Array([v]), null));
  // Models: shapes and fields that are not integers, and a 64 GiB trace.
  const dense = { op: 'dense', inFeatures: 2, outFeatures: 1, weights: new Int8Array(2), bias: new Int32Array(1) };
  const model = (inputShape, layers) => addon.NativeModel && new addon.NativeModel({ inputShape, inputDtype: 'int8', layers });
  for (const d of [NaN, -1, 2.5, 2 ** 53 + 2, 1e300])
    await call('shape ' + d, () => model([d], [{ op: 'relu' }]));
  await call('inFeatures 2.5', () => model([2], [{ ...dense, inFeatures: 2.5 }]));
  await call('weights missing', () => model([2], [{ ...dense, weights: undefined }]));
  await call('dtype name', () => model([2], [{ op: 'requantize', multiplier: 1, shift: 0, dtype: 'int64' }]));
  await call('64 GiB trace', () => model([2 ** 22], Array.from({ length: 4096 }, () => ({ op: 'relu' }))));
  const m = model([2], [dense]);
  await call('input length', () => m.run(new Int32Array(3)));
  await call('input NaN', () => m.runF64(new Float64Array([NaN, 0])));
  await call('input outside int8', () => m.runF64(new Float64Array([128, 0])));
  await call('execute salt', () => m.execute(new Int32Array(2), Buffer.alloc(33)));
  // Claim signatures.
  for (const id of [1.5, NaN, -1, 2 ** 64, Infinity])
    await call('chainId ' + id, () => addon.claimDomainSeparator('verilay', '1', id, contract));
  await call('contract 19 bytes', () => addon.claimDomainSeparator('verilay', '1', 1, Buffer.alloc(19)));
  const separator = addon.claimDomainSeparator('verilay', '1', 31337, contract);
  await call('separator 31 bytes', () => addon.claimDigests(Buffer.alloc(31), Buffer.alloc(180)));
  await call('fields 179 bytes', () => addon.claimDigests(separator, Buffer.alloc(179)));
  await call('fields without signatures', () => addon.recoverClaimSignersAsync(separator, Buffer.alloc(180), []));
  const signature = (s, v) => Buffer.concat([word(1), word(s), Buffer.from([v])]);
  const recovered = await addon.recoverClaimSignersAsync(separator, Buffer.alloc(4 * 180), [
    Buffer.alloc(64), signature(1, 29), signature(2n ** 255n, 27), signature(0, 27),
  ]);
  recovered.errors.forEach((e, i) => (results['signature ' + i] = tag({ message: e })));
  // Proving keys and witnesses.
  const zkey = fs.readFileSync(${JSON.stringify(join(FIXTURES, 'multiplier.zkey'))});
  const wtns = fs.readFileSync(${JSON.stringify(join(FIXTURES, 'multiplier.wtns'))});
  await call('zkey empty', () => new addon.NativeProvingKey(Buffer.alloc(0)));
  await call('zkey truncated', () => addon.loadNativeProvingKey(zkey.subarray(0, zkey.length - 1)));
  await call('zkey is a wtns', () => addon.loadNativeProvingKey(wtns));
  const key = await addon.loadNativeProvingKey(zkey);
  results['key shape'] = [key.nVars, key.nPublic, key.domainSize].join(',');
  await call('witness short', () => key.prove(Buffer.concat([1, 108, 3, 5, 7].map(le))));
  await call('witness ragged', () => key.prove(Buffer.alloc(6 * 32 - 1)));
  await call('witness >= r', () => key.prove(Buffer.concat([le(1), Buffer.alloc(32, 0xff), ...[3, 5, 7, 35].map(le)])));
  await call('witness unsatisfied', () => key.prove(Buffer.concat([1, 109, 3, 5, 7, 35].map(le))));
  await call('witness truncated wtns', () => key.prove(wtns.subarray(0, wtns.length - 3)));
  await call('witness proves', () => key.prove(wtns));
  console.log(JSON.stringify(results));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('native entry points under hostile input', () => {
  // Needs the built addon (CI builds it); the fallback run (VERILAY_NATIVE=off) skips it.
  const built = (() => {
    if (process.env.VERILAY_NATIVE === 'off') return false;
    resetNativeForTest();
    return nativeStatus().active;
  })();
  const withAddon = built ? it : it.skip;

  withAddon(
    'answer each bad input with its typed error and never abort the process',
    () => {
      const child = spawnSync(process.execPath, ['-e', CALLS(addonPath()!)], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ signal: child.signal, status: child.status, stderr: child.stderr.slice(-500) }).toEqual({
        signal: null,
        status: 0,
        stderr: '',
      });
      expect(JSON.parse(child.stdout)).toEqual({
        'poseidon none': 'POSEIDON_WIDTH',
        'poseidon 17 inputs': 'POSEIDON_WIDTH',
        'poseidon ragged': 'POSEIDON_WIDTH',
        'poseidon >= r': 'FIELD_ELEMENT',
        // A dtype code is an integer 1..4: no truncation (4.5) and no wrapping mod 2^32 (2^32 + 4).
        'dtype NaN': 'TENSOR_DTYPE',
        'dtype -1': 'TENSOR_DTYPE',
        'dtype 0': 'TENSOR_DTYPE',
        'dtype 5': 'TENSOR_DTYPE',
        'dtype 4.5': 'TENSOR_DTYPE',
        'dtype 4294967300': 'TENSOR_DTYPE',
        'dtype Infinity': 'TENSOR_DTYPE',
        'salt 31 bytes': 'FIELD_ELEMENT',
        'salt >= r': 'FIELD_ELEMENT',
        'int32 value NaN': 'TENSOR_VALUE',
        'int32 value Infinity': 'TENSOR_VALUE',
        'int32 value 2147483648': 'TENSOR_VALUE',
        'int32 value -2147483649': 'TENSOR_VALUE',
        'int32 value 0.5': 'TENSOR_VALUE',
        'shape NaN': 'KERNEL_MODEL',
        'shape -1': 'KERNEL_MODEL',
        'shape 2.5': 'KERNEL_MODEL',
        'shape 9007199254740994': 'KERNEL_MODEL',
        'shape 1e+300': 'KERNEL_MODEL',
        'inFeatures 2.5': 'KERNEL_MODEL',
        'weights missing': 'KERNEL_MODEL',
        'dtype name': 'KERNEL_MODEL',
        '64 GiB trace': 'KERNEL_MODEL',
        'input length': 'INVALID_INPUT',
        'input NaN': 'INVALID_INPUT',
        'input outside int8': 'INVALID_INPUT',
        'execute salt': 'FIELD_ELEMENT',
        // A chainId is an integer (the JS path's BigInt(chainId) throws for 1.5 and NaN): no
        // truncation to another chain's domain.
        'chainId 1.5': 'SIGNATURE_DOMAIN',
        'chainId NaN': 'SIGNATURE_DOMAIN',
        'chainId -1': 'SIGNATURE_DOMAIN',
        'chainId 18446744073709552000': 'SIGNATURE_DOMAIN',
        'chainId Infinity': 'SIGNATURE_DOMAIN',
        'contract 19 bytes': 'SIGNATURE_DOMAIN',
        'separator 31 bytes': 'SIGNATURE_DOMAIN',
        'fields 179 bytes': 'SIGNATURE_FIELDS',
        'fields without signatures': 'SIGNATURE_FIELDS',
        'signature 0': 'SIGNATURE_LENGTH',
        'signature 1': 'SIGNATURE_V',
        'signature 2': 'SIGNATURE_HIGH_S',
        'signature 3': 'SIGNATURE_SCALAR',
        'zkey empty': 'ZKEY_INVALID',
        'zkey truncated': 'ZKEY_INVALID',
        'zkey is a wtns': 'ZKEY_INVALID',
        'key shape': '6,2,8',
        'witness short': 'WITNESS_LENGTH',
        'witness ragged': 'WITNESS_LENGTH',
        'witness >= r': 'WITNESS_INVALID',
        'witness unsatisfied': 'WITNESS_UNSATISFIED',
        'witness truncated wtns': 'WITNESS_INVALID',
        'witness proves': 'ok',
      });
    },
    90_000,
  );
});
