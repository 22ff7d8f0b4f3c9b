import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';

/**
 * Records nothing: HTTP metrics are recorded by the `httpMetrics` middleware (http-metrics.middleware.ts)
 * when the answer is sent, with the status the client got. Kept only while verifier.module.ts
 * still registers it; remove both together.
 */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}
