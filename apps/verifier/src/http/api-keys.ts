import { API_KEY_ID, API_SCOPES, hashApiKey, type ApiScope } from '@verilay/client';
import { timingSafeEqual } from 'node:crypto';

/** One configured API key: its id, its scopes, and the sha-256 of its token. */
export interface ApiKeyEntry {
  readonly id: string;
  readonly scopes: readonly ApiScope[];
  readonly sha256: string;
}

/** Parses `VERIFIER_API_KEYS`: entries `id:scope,scope:sha256hex`, separated by `;` or whitespace. */
export function parseApiKeys(text: string): ApiKeyEntry[] {
  const entries = text
    .split(/[;\s]+/)
    .filter(Boolean)
    .map((entry) => {
      // Scopes hold a colon themselves (models:write): the id ends at the first, the hash starts after the last.
      const first = entry.indexOf(':');
      const last = entry.lastIndexOf(':');
      const id = entry.slice(0, Math.max(first, 0));
      const scopes = entry.slice(first + 1, last);
      const sha256 = entry.slice(last + 1);
      const bad = (why: string) =>
        new Error(`VERIFIER_API_KEYS entry ${JSON.stringify(id || entry)}: ${why}`);
      if (first < 0 || last === first) throw bad('must be id:scope,scope:sha256hex');
      if (!API_KEY_ID.test(id)) throw bad(`the id must match ${API_KEY_ID}`);
      if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad('the hash must be 64 lowercase hex characters (sha-256)');
      const list = scopes.split(',');
      const unknown = list.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
      if (unknown.length) throw bad(`unknown scope ${unknown.join(', ')} (known: ${API_SCOPES.join(', ')})`);
      return { id, scopes: list as ApiScope[], sha256 };
    });
  const ids = entries.map((e) => e.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new Error(`VERIFIER_API_KEYS names the key ${twice} twice`);
  return entries;
}

/** The key a token belongs to, or null. Compares hashes in constant time. */
export function authenticate(entries: readonly ApiKeyEntry[], token: string): ApiKeyEntry | null {
  const id = /^vk_([a-z0-9-]+)_[A-Za-z0-9_-]{43}$/.exec(token)?.[1];
  const entry = id === undefined ? undefined : entries.find((e) => e.id === id);
  if (!entry) return null;
  const given = Buffer.from(hashApiKey(token), 'hex');
  return timingSafeEqual(given, Buffer.from(entry.sha256, 'hex')) ? entry : null;
}
