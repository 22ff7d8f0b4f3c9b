import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ErrorBody } from './error-codes';

/**
 * JSON bodies with a size limit, and machine-readable answers when parsing fails. Body-parser's
 * errors happen before Nest routes a request, so they are answered here, not by the filter.
 */
export function useJsonBodies(app: INestApplication, limit: string): void {
  app.use(express.json({ limit }));
  app.use((err: { type?: string; message?: string }, _req: Request, res: Response, next: NextFunction) => {
    const known: Record<string, [number, string]> = {
      'entity.parse.failed': [400, 'MALFORMED_JSON'],
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
