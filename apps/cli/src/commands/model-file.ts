import { InvalidModelError, readModelFile, type LoadOptions, type Model } from '@verilay/inference';
import { readFileSync } from 'node:fs';
import { parseJson } from './json-file';

/**
 * `readModelFile`, with errors that name the file: a document that is not JSON with the line and
 * column where it goes wrong, an invalid model with the file before the field at fault.
 */
export function readModel(file: string, options?: LoadOptions): Model {
  try {
    return readModelFile(file, options);
  } catch (error) {
    if (!(error instanceof InvalidModelError)) throw error; // fs errors name the path already
    if (error.message.startsWith('Invalid model: $: not valid JSON'))
      parseJson(readFileSync(file, 'utf8'), file); // throws the error with the position
    throw new Error(`${file}: ${error.message}`, { cause: error });
  }
}
