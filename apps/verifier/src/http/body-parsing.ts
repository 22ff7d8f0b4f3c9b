import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ErrorBody } from './error-codes';

/**
 * JSON bodies with a size limit, and machine-readable answers when parsing fails. Body-parser's
 * errors happen before Nest routes a request, so they are answered here, not by the filter.
 */
export function useJsonBodies(app: INestApplication, limit: string): void {
  app.use(express.json({ limit, verify: (_req, _res, body) => checkNesting(body) }));
  app.use((err: { type?: string; message?: string }, _req: Request, res: Response, next: NextFunction) => {
    const known: Record<string, [number, string]> = {
      'entity.parse.failed': [400, 'MALFORMED_JSON'],
      'entity.verify.failed': [400, 'MALFORMED_JSON'],
      'entity.too.large': [413, 'PAYLOAD_TOO_LARGE'],
      'encoding.unsupported': [415, 'UNSUPPORTED_MEDIA_TYPE'],
      'charset.unsupported': [415, 'UNSUPPORTED_MEDIA_TYPE'],
    };
    const hit = err.type ? known[err.type] : undefined;
    if (!hit) return next(err);
    const [status, code] = hit;
    const message =
      code === 'PAYLOAD_TOO_LARGE'
        ? `Request body exceeds the limit of ${limit}`
        : `Request body is not valid JSON: ${err.message}`;
    res.status(status).json({ error: { code, message } } satisfies ErrorBody);
  });
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
