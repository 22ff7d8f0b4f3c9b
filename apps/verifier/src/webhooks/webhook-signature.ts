import { createHmac, randomBytes } from 'node:crypto';

/**
 * Webhook signatures in the Standard Webhooks form (standardwebhooks.com, as Svix and others
 * sign): headers `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature:
 * v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the secret `whsec_<base64 key>`.
 * Receivers verify with any Standard Webhooks library and reject stale timestamps (replays); the
 * verifier has no verifying helper of its own, so none without the timestamp check can be reused.
 */
export const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('webhook secrets start with whsec_');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

export function signWebhook(secret: string, id: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampS}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The headers of one attempt (the timestamp is the attempt's: a retry is signed afresh). */
export function webhookHeaders(secret: string, id: string, timestampS: number, body: string) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': signWebhook(secret, id, timestampS, body),
  };
}
