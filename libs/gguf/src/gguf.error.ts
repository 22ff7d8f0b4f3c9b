import { BaseError } from '@verilay/errors';

/**
 * A GGUF file is malformed, truncated, claims more than it holds, or uses something the reader
 * does not support (a tensor type, a metadata value type). `meta.offset` is the byte where the
 * reader stopped, when there is one.
 */
export class GgufError extends BaseError {
  readonly code = 'GGUF_INVALID';
  constructor(problem: string, options: { offset?: number; details?: string; cause?: unknown } = {}) {
    super(`Invalid GGUF: ${problem}`, {
      details: options.details,
      cause: options.cause,
      meta: { offset: options.offset ?? null },
    });
  }
}
