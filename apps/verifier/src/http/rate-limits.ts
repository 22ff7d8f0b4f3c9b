import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import type { VerifierConfig } from '../config/verifier.config';
import { requiredScope } from './api-key.guard';

const MINUTE = 60_000;
const reflector = new Reflector();

/**
 * Per client address, per route, per minute: every route allows `rateLimit` requests; the admin
 * routes (those with `@RequireScope`) allow only `adminRateLimit`. Past either, 429 RATE_LIMITED with
 * Retry-After (Retry-After-admin for the admin limit), in seconds.
 */
export function throttlers(config: VerifierConfig): ThrottlerModuleOptions {
  return {
    throttlers: [
      { name: 'default', ttl: MINUTE, limit: config.rateLimit },
      {
        name: 'admin',
        ttl: MINUTE,
        limit: config.adminRateLimit,
        skipIf: (context: ExecutionContext) => requiredScope(reflector, context) === undefined,
      },
    ],
    errorMessage: (_context, detail) =>
      `Too many requests: at most ${detail.limit} per ${detail.ttl / 1000} s; retry in ${detail.timeToBlockExpire} s`,
  };
}
