import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { MetricsService } from './metrics.service';

/** The label of a request that matches no route (a 404): one label, so hostile paths add no series. */
export const UNMATCHED_ROUTE = 'unmatched';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Times every request and records it when the answer is sent (`finish`), with the status the
 * client got: an interceptor sees the status before the exception filter sets it (a 400 counted
 * as 201) and never sees requests that body parsing answers. Must be the first middleware.
 *
 * Labels stay bounded: the route pattern (`/v1/claims/:claimId`), never the raw path. A request
 * answered before routing (a body that cannot be parsed) is matched against `routes`, the
 * patterns of the OpenAPI document (`/v1/claims/{claimId}`); one that matches none is `unmatched`.
 */
export function httpMetrics(metrics: MetricsService, routes: readonly string[]): RequestHandler {
  const patterns = routes.map((path) => ({
    label: path.replace(/\{(\w+)\}/g, ':$1'),
    regex: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}/?$`),
  }));
  const routeOf = (req: Request): string => {
    const routed = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof routed === 'string') return routed;
    return patterns.find((p) => p.regex.test(req.path))?.label ?? UNMATCHED_ROUTE;
  };
  return (req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () =>
      end({
        method: METHODS.has(req.method) ? req.method : 'OTHER',
        route: routeOf(req),
        status: String(res.statusCode),
      }),
    );
    next();
  };
}
