import { createHash, randomBytes } from 'node:crypto';

/** What an API key may do on the verifier's admin endpoints. */
export const API_SCOPES = ['models:write', 'proofs:write', 'webhooks:write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Key ids: short names an operator reads in logs and `VERIFIER_API_KEYS` (no `_`, `:`, `,`, `;`). */
export const API_KEY_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * A new API key: the secret token (`vk_<id>_<43 base64url chars>`, 256 random bits) to give the
 * client, and the `VERIFIER_API_KEYS` entry (`id:scope,scope:sha256hex`) the verifier keeps.
 * The verifier stores only the hash; sha-256 suffices for a random 256-bit secret (nothing to
 * guess), where a password would need scrypt.
 */
export function mintApiKey(id: string, scopes: readonly ApiScope[]): { token: string; entry: string } {
  if (!API_KEY_ID.test(id)) throw new Error(`API key id ${JSON.stringify(id)} must match ${API_KEY_ID}`);
  if (!scopes.length) throw new Error('an API key needs at least one scope');
  const token = `vk_${id}_${randomBytes(32).toString('base64url')}`;
  return { token, entry: `${id}:${scopes.join(',')}:${hashApiKey(token)}` };
}

/** sha-256 of the whole token, hex: what `VERIFIER_API_KEYS` holds. */
export function hashApiKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Where a development verifier (no `VERIFIER_API_KEYS`, no `CHAIN_RPC_URL`) keeps the admin key
 * it mints for itself: beside its database, readable by its owner only.
 */
export function devApiKeyFile(dbPath: string): string {
  return `${dbPath}.api-key`;
}
