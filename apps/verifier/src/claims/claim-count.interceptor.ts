import {
  BadRequestException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { TooManyClaimsError } from '@verilay/protocol';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { VerifierConfig } from '../config/verifier.config';

/**
 * Checks the count of `POST /v1/claims` against `VERIFIER_MAX_CLAIMS_PER_REQUEST` before the body
 * is validated: interceptors run before pipes, so 1001 claims answer TOO_MANY_CLAIMS whatever
 * their fields (the ValidationPipe would otherwise walk them all and answer VALIDATION_FAILED),
 * and the messages name the configured limit, not a bound fixed in the DTO.
 */
@Injectable()
export class ClaimCountInterceptor implements NestInterceptor {
  constructor(private readonly config: VerifierConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const body = context.switchToHttp().getRequest<Request>().body as { claims?: unknown } | undefined;
    const claims = body?.claims;
    const limit = this.config.maxClaimsPerRequest;
    if (!Array.isArray(claims) || claims.length === 0)
      throw new BadRequestException({
        code: 'VALIDATION_FAILED',
        message: `claims: claims must be an array of 1 to ${limit} claims`,
      });
    if (claims.length > limit) throw new TooManyClaimsError(claims.length, limit);
    return next.handle();
  }
}
