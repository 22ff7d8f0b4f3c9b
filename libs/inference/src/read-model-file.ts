import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { decodeModel } from './canonical-model';
import type { LoadOptions } from './compute-budget';
import type { Model } from './model';
import { parseModel } from './parse-model';

/** "VLM": the canonical bytes' magic (docs/model-format.md). */
const MAGIC = [0x56, 0x4c, 0x4d];

/**
 * A model file as the CLI, the verifier and the watcher read it: canonical bytes (`.vlm`, what
 * `verilay model import` writes for models too big for JSON; named after the file, since the
 * bytes hold no name) or a JSON document. Both go through every load check.
 */
export function readModelFile(path: string, options: LoadOptions = {}): Model {
  const bytes = readFileSync(path);
  if (MAGIC.every((b, i) => bytes[i] === b))
    return decodeModel(bytes, basename(path, extname(path)), options);
  return parseModel(bytes.toString('utf8'), options);
}
