import { HttpException } from '@nestjs/common';
import type { Request } from 'express';
import getRawBody from 'raw-body';

/**
 * Reads a model's canonical bytes from `POST /v1/models` (application/vnd.verilay.model), in the
 * handler, i.e. after the API key guard and the admin rate limit. A Content-Length over `limit`
 * is refused before anything is read; a body that grows past it is cut off there. No content
 * encoding: the canonical bytes are sent as they are (a compressed body could inflate past any
 * limit the wire size suggests).
 */
export async function readModelBody(req: Request, limit: string): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    req.resume();
    throw new HttpException(
      { code: 'UNSUPPORTED_MEDIA_TYPE', message: `Model bytes are sent without content encoding, not ${encoding}` },
      415,
    );
  }
  try {
    return await getRawBody(req, { limit, length: req.headers['content-length'] });
  } catch (error) {
    const { type, message } = error as { type?: string; message?: string };
    req.resume();
    if (type === 'entity.too.large')
      throw new HttpException(
        { code: 'PAYLOAD_TOO_LARGE', message: `Model bytes exceed the limit of ${limit} (VERIFIER_MODEL_BODY_LIMIT)` },
        413,
      );
    throw new HttpException(
      { code: 'MALFORMED_BODY', message: `Request body cannot be read: ${message ?? 'malformed'}` },
      400,
    );
  }
}
