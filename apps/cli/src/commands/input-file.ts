import { readJsonFile } from './json-file';

/** An input file: a JSON array of values, or { "data": [...], "salt": "0x..." }. */
export function readInput(file: string): { data: number[]; salt: bigint } {
  const doc = readJsonFile(file) as number[] | { data: number[]; salt?: string } | null;
  if (Array.isArray(doc)) return { data: doc, salt: 0n };
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.data))
    throw new Error(`${file}: expected an array of values or { "data": [...], "salt"? }`);
  return { data: doc.data, salt: doc.salt ? BigInt(doc.salt) : 0n };
}
