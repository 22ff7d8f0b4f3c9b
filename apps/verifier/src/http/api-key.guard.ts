import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiScope } from '@verilay/client';
import { BaseError } from '@verilay/errors';
import type { Request } from 'express';
import { VerifierConfig } from '../config/verifier.config';
import { authenticate } from './api-keys';

const SCOPE = 'verilay:scope';

/** Marks an admin route: only an API key holding `scope` may call it. */
export const RequireScope = (scope: ApiScope) => SetMetadata(SCOPE, scope);

/** The scope a route requires, or undefined for an open route. */
export function requiredScope(reflector: Reflector, context: ExecutionContext): ApiScope | undefined {
  return reflector.getAllAndOverride<ApiScope | undefined>(SCOPE, [context.getHandler(), context.getClass()]);
}

/** A request to an admin route without a valid key (401) or with a key lacking the scope (403). */
export class ApiKeyError extends BaseError {
  constructor(
    readonly code: 'UNAUTHENTICATED' | 'INSUFFICIENT_SCOPE',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Admin routes (`@RequireScope`) need `Authorization: Bearer <key>` (or `X-Api-Key: <key>`) of a
 * key configured in VERIFIER_API_KEYS with that scope. Open routes pass untouched.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: VerifierConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const scope = requiredScope(this.reflector, context);
    if (!scope) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const header = req.headers['x-api-key'];
    const token = bearer ?? (typeof header === 'string' ? header : undefined);
    if (!token)
      throw new ApiKeyError(
        'UNAUTHENTICATED',
        `${req.method} ${req.path} needs an API key with scope ${scope} (Authorization: Bearer <key>)`,
      );
    const key = authenticate(this.config.apiKeys, token);
    if (!key) throw new ApiKeyError('UNAUTHENTICATED', 'The API key is not valid');
    if (!key.scopes.includes(scope))
      throw new ApiKeyError('INSUFFICIENT_SCOPE', `The API key ${key.id} lacks the scope ${scope}`);
    return true;
  }
}
