// Where tiny-llm's committed files live and how to read them (made by train.py and
// make-tiny-llm.ts; docs/models.md, "tiny-llm").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { floatLlmFromSafetensors, type FloatLlm } from './float-llm';
import { readSafetensors } from './safetensors';
import { asciiTokenizer } from '@verilay/generation';

export const MODEL_FILE = 'tiny-llm.json';
export const FLOAT_FILE = 'tiny-llm.float.safetensors';
export const FLOAT_EVAL_FILE = 'float-eval.json';
export const METRICS_FILE = 'metrics.json';

/** The prompt of the recorded greedy generation (metrics.json `generation`). */
export const GENERATION_PROMPT = 'And ';

export function readFloatLlm(dir: string): FloatLlm {
  return floatLlmFromSafetensors(readSafetensors(new Uint8Array(readFileSync(join(dir, FLOAT_FILE)))));
}

export function readHeldOutText(dir: string): string {
  return readFileSync(join(dir, 'data', 'heldout.txt'), 'ascii');
}

/** The calibration windows train.py drew from the training books: one a line, `\n` escaped. */
export function readCalibrationWindows(dir: string): number[][] {
  return readFileSync(join(dir, 'data', 'calibration.txt'), 'ascii')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => asciiTokenizer.encode(line.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))));
}
