import { API_SCOPES, mintApiKey, type ApiScope } from '@verilay/client';

/**
 * `verilay api-key mint --id <id> --scopes models:write,proofs:write`: a new API key for the
 * verifier's admin endpoints. Prints the token (give it to the client, once) and the entry to add
 * to the verifier's VERIFIER_API_KEYS (only the sha-256 of the token; the verifier never sees the
 * token until a client sends it).
 */
export function apiKeyMint(opts: { id: string; scopes: string }): void {
  const scopes = opts.scopes.split(',').map((s) => s.trim());
  const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown.length)
    throw new Error(`unknown scope ${unknown.join(', ')} (known: ${API_SCOPES.join(', ')})`);
  const { token, entry } = mintApiKey(opts.id, scopes as ApiScope[]);
  console.error(
    'token: send it as "Authorization: Bearer <token>" (or VERIFIER_API_KEY for the CLI); it is shown once',
  );
  console.error('entry: append it to the verifier\'s VERIFIER_API_KEYS (entries separated by ";")');
  console.log(JSON.stringify({ token, entry }, null, 2));
}
