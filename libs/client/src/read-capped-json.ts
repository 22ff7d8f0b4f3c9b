import { BaseError } from '@verilay/errors';

/** An answer longer than the caller allows: refused before it is read whole, never parsed. */
export class ResponseTooLargeError extends BaseError {
  readonly code = 'RESPONSE_TOO_LARGE';
  constructor(
    readonly path: string,
    readonly maxBytes: number,
    /** What the answer declared (content-length) or what had arrived when it was cut off. */
    readonly bytes: number,
  ) {
    super(`the answer to ${path} is over ${maxBytes} bytes (${bytes} seen)`, {
      details: 'raise the cap for this call (maxBytes) if the answer is legitimate',
      meta: { path, maxBytes, bytes },
    });
  }
}

/** An answer that is not JSON. */
export class MalformedResponseError extends BaseError {
  readonly code = 'MALFORMED_RESPONSE';
  constructor(path: string, cause: unknown) {
    super(`the answer to ${path} is not JSON`, { cause, meta: { path } });
  }
}

/**
 * Reads an answer of at most `maxBytes`: refuses one whose content-length says more before
 * reading any of it, and cancels the stream as soon as more arrives than allowed, so a hostile
 * server cannot make the client buffer an answer of any size.
 */
export async function readCappedBytes(response: Response, path: string, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(path, maxBytes, declared);
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new ResponseTooLargeError(path, maxBytes, bytes);
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks, bytes);
}

/** `readCappedBytes`, parsed as JSON (so V8 never parses an answer over the cap). An empty body reads as `{}`. */
export async function readCappedJson(response: Response, path: string, maxBytes: number): Promise<unknown> {
  const text = (await readCappedBytes(response, path, maxBytes)).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MalformedResponseError(path, error);
  }
}
