import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The real SmolLM2 GGUF when scripts/smollm2/fetch.sh has cached it; null (and a note) otherwise. */
export const SMOLLM2_GGUF = join(__dirname, '../../../.cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf');

export function realGguf(): Uint8Array | null {
  if (existsSync(SMOLLM2_GGUF)) return readFileSync(SMOLLM2_GGUF);
  console.log(`skipped: ${SMOLLM2_GGUF} is absent (bash scripts/smollm2/fetch.sh caches it)`);
  return null;
}

/** f16 bits of a value that is exactly a half (tests pick such values). */
export function half(v: number): number {
  const b = Buffer.alloc(2);
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const frac = (u >>> 13) & 0x3ff;
  if (v === 0) return sign;
  if (exp <= 0 || exp >= 31 || (u & 0x1fff) !== 0) throw new Error(`${v} is not a normal half`);
  b.writeUInt16LE(sign | (exp << 10) | frac);
  return b.readUInt16LE();
}
