import { GgufError } from './gguf.error';
import type { GgufValue } from './gguf-types';
import type { GgufFile } from './read-gguf';

function get(file: GgufFile, key: string): GgufValue {
  const v = file.metadata.get(key);
  if (v === undefined) throw new GgufError(`metadata "${key}" is missing`);
  return v;
}

/** A numeric metadata value (64-bit integers must be safe integers). */
export function metaNumber(file: GgufFile, key: string, fallback?: number): number {
  if (fallback !== undefined && !file.metadata.has(key)) return fallback;
  const v = get(file, key);
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER))
    return Number(v);
  if (typeof v !== 'number') throw new GgufError(`metadata "${key}" is not a number`);
  return v;
}

export function metaString(file: GgufFile, key: string, fallback?: string): string {
  if (fallback !== undefined && !file.metadata.has(key)) return fallback;
  const v = get(file, key);
  if (typeof v !== 'string') throw new GgufError(`metadata "${key}" is not a string`);
  return v;
}

export function metaBool(file: GgufFile, key: string, fallback: boolean): boolean {
  const v = file.metadata.get(key);
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new GgufError(`metadata "${key}" is not a bool`);
  return v;
}

export function metaStrings(file: GgufFile, key: string): string[] {
  const v = get(file, key);
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
    throw new GgufError(`metadata "${key}" is not an array of strings`);
  return v as string[];
}

export function metaNumbers(file: GgufFile, key: string): number[] {
  const v = get(file, key);
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'number'))
    throw new GgufError(`metadata "${key}" is not an array of numbers`);
  return v as number[];
}
