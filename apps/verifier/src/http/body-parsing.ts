import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { MODEL_MEDIA_TYPE } from '@verilay/inference';
import type { ErrorBody } from './error-codes';

/**
 * JSON bodies with a size limit, and machine-readable answers when reading a body fails. Body-parser's
 * errors happen before Nest routes a request, so they are answered here, not by the filter: any
 * 4xx it raises (a corrupt gzip/deflate/br body, a body shorter than its Content-Length, an
 * unknown encoding or charset) becomes the error envelope, never Nest's 500.
 */
export function useJsonBodies(app: INestApplication, limit: string): void {
  app.use(refuseOtherCharsets);
  app.use(express.json({ limit, verify: (_req, _res, body) => checkNesting(body) }));
  app.use(refuseUnreadBodies);
  app.use((err: BodyError, _req: Request, res: Response, next: NextFunction) => {
    const status =
      typeof err.status === 'number' ? err.status : typeof err.statusCode === 'number' ? err.statusCode : 0;
    if (status < 400 || status >= 500) return next(err);
    const [code, message] = describe(err, limit);
    // body-parser says 403 when `verify` refuses a body; here that is JSON nested too deep.
    res
      .status(err.type === 'entity.verify.failed' ? 400 : status)
      .json({ error: { code, message } } satisfies ErrorBody);
  });
}

interface BodyError {
  type?: string;
  message?: string;
  status?: number;
  statusCode?: number;
}

function describe(err: BodyError, limit: string): [string, string] {
  switch (err.type) {
    case 'entity.parse.failed':
    case 'entity.verify.failed':
      return ['MALFORMED_JSON', `Request body is not valid JSON: ${err.message}`];
    case 'entity.too.large':
      return ['PAYLOAD_TOO_LARGE', `Request body exceeds the limit of ${limit}`];
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return ['UNSUPPORTED_MEDIA_TYPE', `Request body cannot be read: ${err.message}`];
    default:
      // Truncated or corrupt compressed bodies, lying Content-Lengths, aborted uploads.
      return ['MALFORMED_BODY', `Request body cannot be read: ${err.message ?? 'malformed'}`];
  }
}

/**
 * JSON is UTF-8 (RFC 8259). body-parser would also decode UTF-16 and others, whose bytes the
 * nesting scan below cannot read (U+2200 is the bytes 00 22 in UTF-16): refuse them with 415.
 */
function refuseOtherCharsets(req: Request, res: Response, next: NextFunction): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (charset === undefined || /^utf-?8$/i.test(charset)) return next();
  res.status(415).json({
    error: {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Request bodies must be UTF-8, not charset ${JSON.stringify(charset)}`,
    },
  } satisfies ErrorBody);
  req.resume();
}

/**
 * A body of another content type is left unread by the JSON parser: answer 415 rather than let the
 * handler see an empty body (and answer as if nothing had been sent). An empty POST, PUT or PATCH
 * that names another type is refused too: its sender meant to send that type, and VALIDATION_FAILED
 * would hide why nothing was read.
 */
function refuseUnreadBodies(req: Request, res: Response, next: NextFunction): void {
  const announced =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  const readable = announced
    ? req.is('application/json') || isModelUpload(req)
    : !BODY_METHODS.has(req.method) || isReadableType(req.headers['content-type']);
  if (readable) return next();
  res.status(415).json({
    error: {
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Request bodies must be application/json (POST /v1/models also takes ${MODEL_MEDIA_TYPE}), not ${JSON.stringify(req.headers['content-type'] ?? '')}`,
    },
  } satisfies ErrorBody);
  req.resume(); // drain what the client sends, so the answer is read
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** No content type, JSON, or the model type (`req.is` answers null for a request without a body). */
function isReadableType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const media = contentType.split(';')[0].trim().toLowerCase();
  return media === 'application/json' || media === MODEL_MEDIA_TYPE;
}

/**
 * A model's canonical bytes for `POST /v1/models`: left unread here, and read by the handler
 * (`readModelBody`) after the API key guard, so nobody without a key can make the verifier
 * buffer a body of the model limit.
 */
function isModelUpload(req: Request): boolean {
  return req.method === 'POST' && req.path === '/v1/models' && req.is(MODEL_MEDIA_TYPE) === MODEL_MEDIA_TYPE;
}

/** Deepest array/object nesting accepted: the API's documents need 4; deep ones exhaust the stack. */
export const MAX_JSON_DEPTH = 32;

/** Scans the raw body once (strings skipped) and refuses nesting deeper than MAX_JSON_DEPTH. */
function checkNesting(body: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new Error(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}
