import { readFileSync } from 'node:fs';

/** An input file: a JSON array of values, or { "data": [...], "salt": "0x..." }. */
export function readInput(file: string): { data: number[]; salt: bigint } {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as number[] | { data: number[]; salt?: string };
  if (Array.isArray(doc)) return { data: doc, salt: 0n };
  if (!doc || !Array.isArray(doc.data))
    throw new Error(`${file}: expected an array of values or { "data": [...], "salt"? }`);
  return { data: doc.data, salt: doc.salt ? BigInt(doc.salt) : 0n };
}
