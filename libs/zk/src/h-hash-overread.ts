import { closeSync, openSync, readSync } from 'node:fs';
import * as snarkjs from 'snarkjs';

/** snarkjs hashes zkey new's H points in chunks of this many (zkey_new.js hashHPoints). */
const H_HASH_CHUNK = 2 ** 14;

/** Section offsets of an iden3 binary file (r1cs, ptau), read from its table only. */
function sections(fd: number): Map<number, { offset: number; size: number }> {
  const head = Buffer.alloc(12);
  readSync(fd, head, 0, 12, 0);
  const out = new Map<number, { offset: number; size: number }>();
  let pos = 12;
  const entry = Buffer.alloc(12);
  for (let i = 0; i < head.readUInt32LE(8); i++) {
    if (readSync(fd, entry, 0, 12, pos) < 12) break;
    const id = entry.readUInt32LE(0);
    const size = Number(entry.readBigUInt64LE(4));
    if (!out.has(id)) out.set(id, { offset: pos + 12, size });
    pos += 12 + size;
  }
  return out;
}

/** What `f` reads from the file; undefined where the file is short or malformed. */
function read(path: string, f: (fd: number) => Buffer | undefined): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    return f(fd);
  } catch (error) {
    if (error instanceof ShortFile) return undefined;
    throw error;
  } finally {
    closeSync(fd);
  }
}

class ShortFile extends Error {}

function bytesAt(fd: number, position: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  if (position < 0 || readSync(fd, out, 0, length, position) < length) throw new ShortFile();
  return out;
}

/**
 * The 64 bytes `snarkjs zkey new` hashes into csHash for the one H point it reads past the
 * powers of tau's tau·G1 section (it hashes n points in chunks of 2^14 where n − 1 are meant; when
 * the circuit's domain is the ceremony's own size, the last lies past the section): the next
 * section's header bytes taken as a point, minus tauG1[n − 1], as ffjavascript's wasm computes it
 * (coordinates past the field modulus: only that code gives its bytes). The native setup takes
 * them as given; undefined when the case does not arise. Malformed files: undefined (the native
 * setup then says what is wrong).
 */
export async function hHashOverread(r1csPath: string, ptauPath: string): Promise<string | undefined> {
  const header = read(r1csPath, (fd) => {
    const s = sections(fd).get(1);
    return s && s.size >= 64 ? bytesAt(fd, s.offset, 64) : undefined;
  });
  if (!header) return undefined;
  const n8 = header.readUInt32LE(0);
  if (n8 !== 32) return undefined;
  const nPublic = header.readUInt32LE(n8 + 8) + header.readUInt32LE(n8 + 12);
  const nConstraints = header.readUInt32LE(n8 + 28);
  const n = 2 ** (Math.floor(Math.log2(Math.max(1, nConstraints + nPublic))) + 1);
  const count = n <= 1 ? 0 : Math.ceil((n - 1) / H_HASH_CHUNK) * Math.min(n - 1, H_HASH_CHUNK);
  const points = read(ptauPath, (fd) => {
    const s = sections(fd).get(2);
    if (!s || count <= Math.floor(s.size / 64) - n) return undefined;
    const last = count - 1;
    return Buffer.concat([
      bytesAt(fd, s.offset + (last + n) * 64, 64),
      bytesAt(fd, s.offset + last * 64, 64),
    ]);
  });
  if (!points) return undefined;
  // A single-threaded instance of its own: no worker threads left behind.
  const curve = await snarkjs.curves.getCurveFromName('bn128', { singleThread: true });
  const [out] = (await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: new Uint8Array(points.subarray(0, 64)) },
    { cmd: 'ALLOCSET', var: 1, buff: new Uint8Array(points.subarray(64)) },
    { cmd: 'ALLOC', var: 2, len: 96 },
    { cmd: 'CALL', fnName: 'g1m_subAffine', params: [{ var: 0 }, { var: 1 }, { var: 2 }] },
    { cmd: 'CALL', fnName: 'g1m_batchToAffine', params: [{ var: 2 }, { val: 1 }, { var: 2 }] },
    { cmd: 'CALL', fnName: 'g1m_batchLEMtoU', params: [{ var: 2 }, { val: 1 }, { var: 2 }] },
    { cmd: 'GET', out: 0, var: 2, len: 64 },
  ])) as Uint8Array[];
  await curve.terminate();
  return Buffer.from(out).toString('hex');
}
