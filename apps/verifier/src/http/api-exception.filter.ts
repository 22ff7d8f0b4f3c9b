import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { BaseError } from '@verilay/errors';
import type { Response } from 'express';
import { MetricsService } from '../metrics/metrics.service';
import { isDatabaseUnavailable } from './database-unavailable';
import { HTTP_STATUS_OF, type ErrorBody } from './error-codes';

/** The one place where domain errors become HTTP answers: `{ error: { code, message, ... } }`. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  constructor(private readonly metrics: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = toHttp(exception);
    if (status === 503 && body.error.code === 'DATABASE_UNAVAILABLE') {
      this.logger.warn({
        msg: 'database unavailable',
        error: String((exception as Error)?.message ?? exception),
      });
      response.setHeader('retry-after', '1');
    } else if (status >= 500)
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    this.metrics.rejections.inc({ code: body.error.code });
    response.status(status).json(body);
  }
}

export function toHttp(exception: unknown): [number, ErrorBody] {
  if (exception instanceof BaseError) {
    const status = HTTP_STATUS_OF[exception.code] ?? 422;
    const meta = Object.keys(exception.meta).length ? exception.meta : undefined;
    return [
      status,
      { error: { code: exception.code, message: exception.shortMessage, details: exception.details, meta } },
    ];
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const res = exception.getResponse() as { code?: string; message?: string | string[] } | string;
    const code =
      typeof res === 'object' && res.code
        ? res.code
        : status === 404
          ? 'NOT_FOUND'
          : status === 413
            ? 'PAYLOAD_TOO_LARGE'
            : status === 429
              ? 'RATE_LIMITED'
              : status === 400
                ? 'VALIDATION_FAILED'
                : 'HTTP_ERROR';
    const message =
      typeof res === 'string'
        ? res
        : Array.isArray(res.message)
          ? res.message.join('; ')
          : (res.message ?? exception.message);
    return [status, { error: { code, message } }];
  }
  // Errors of express and its middleware (http-errors) carry their own 4xx status.
  const status = (exception as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return [
      status,
      { error: { code: 'MALFORMED_REQUEST', message: String((exception as Error).message ?? '') } },
    ];
  if (isDatabaseUnavailable(exception))
    return [
      503,
      {
        error: {
          code: 'DATABASE_UNAVAILABLE',
          message: 'The database cannot be reached right now; nothing was stored. Retry shortly.',
        },
      },
    ];
  return [500, { error: { code: 'INTERNAL', message: 'Internal error' } }];
}
