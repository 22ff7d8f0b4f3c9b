import {
  MalformedResponseError,
  ResponseTooLargeError,
  VerifierApiError,
  VerifierClient,
} from '@verilay/client';
import type { ClaimSubmission } from '@verilay/protocol';
import { readFileSync } from 'node:fs';
import { parseJson } from './json-file';

export interface ClaimSubmitOptions {
  readonly verifier: string;
  /** Claims per request: at most the verifier's VERIFIER_MAX_CLAIMS_PER_REQUEST (default 1000). */
  readonly perRequest?: number;
  readonly timeoutMs?: number;
}

/**
 * `verilay claim submit <file>`: sends signed claims to a verifier (POST /v1/claims) and prints
 * each claim's id and status. The file (or `-`, standard input) holds one signed claim, an array
 * of them, `{ "claims": [...] }` (the request body), or what `verilay generate --operator-key`
 * prints (its `claim`). A refusal is printed with the verifier's error code and message.
 */
export async function claimSubmit(file: string, opts: ClaimSubmitOptions): Promise<void> {
  const name = file === '-' ? 'standard input' : file;
  const claims = claimsOf(parseJson(readText(file), name), name);
  const client = new VerifierClient(opts.verifier, { timeoutMs: opts.timeoutMs });
  const submitted: { claimId: `0x${string}`; status: string }[] = [];
  const perRequest = opts.perRequest ?? 1000;
  // Larger files go in requests of the verifier's most; each request is all-or-nothing.
  for (let at = 0; at < claims.length; at += perRequest) {
    const part = claims.slice(at, at + perRequest);
    try {
      submitted.push(...(await client.submitClaims(part)).claims);
    } catch (error) {
      const range = claims.length > part.length ? ` (claims ${at + 1}-${at + part.length})` : '';
      // The requests before this one were accepted: their claims are printed, as on success.
      if (submitted.length)
        console.log(JSON.stringify({ verifier: opts.verifier, claims: submitted }, null, 2));
      const before = submitted.length ? `; the ${submitted.length} claims before were accepted` : '';
      throw new Error(`${describeFailure(error, opts.verifier)}${range}${before}`, { cause: error });
    }
  }
  const statuses = new Map<string, number>();
  for (const { status } of submitted) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  console.error(
    `submitted ${submitted.length} claim${submitted.length === 1 ? '' : 's'} to ${opts.verifier}: ${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}`,
  );
  console.log(JSON.stringify({ verifier: opts.verifier, claims: submitted }, null, 2));
}

function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (cause) {
    throw new Error(`${file}: cannot read it (${(cause as Error).message})`, { cause });
  }
}

/** The claims a document holds, each checked to be a signed claim (the verifier checks the rest). */
export function claimsOf(doc: unknown, name: string): ClaimSubmission[] {
  const record = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  let claims: unknown[];
  if (Array.isArray(doc)) claims = doc;
  else if (record(doc) && Array.isArray(doc.claims)) claims = doc.claims;
  else if (record(doc) && record(doc.claim))
    claims = [doc.claim]; // verilay generate's output
  else if (record(doc)) claims = [doc];
  else throw new Error(`${name}: expected a signed claim, an array of them, or { "claims": [...] }`);
  if (claims.length === 0) throw new Error(`${name}: holds no claims`);
  claims.forEach((claim, i) => {
    const which = claims.length === 1 ? 'the claim' : `claim ${i + 1} of ${claims.length}`;
    if (!record(claim)) throw new Error(`${name}: ${which} is not a JSON object`);
    const missing = ['modelId', 'taskId', 'operator', 'signature'].filter(
      (f) => typeof claim[f] !== 'string',
    );
    if (missing.length)
      throw new Error(
        `${name}: ${which} has no ${missing.join(', ')}${missing.includes('signature') ? ' (sign it: verilay generate --operator-key, or buildClaim of @verilay/client)' : ''}`,
      );
  });
  return claims as ClaimSubmission[];
}

/** One line for a failed submission: the verifier's error code and message, or why there was no answer. */
export function describeFailure(error: unknown, verifier: string): string {
  if (error instanceof VerifierApiError)
    return `the verifier at ${verifier} refused the claims: ${error.status} ${error.code}: ${error.shortMessage.replace(/^verifier answered \d+: /, '')}`;
  if (error instanceof MalformedResponseError || error instanceof ResponseTooLargeError)
    return `the verifier at ${verifier} answered oddly: ${error.shortMessage}`;
  // fetch's errors come from Node's own realm: read them by shape, not with instanceof.
  const { name, message, cause } = (error ?? {}) as { name?: string; message?: string; cause?: unknown };
  if (name === 'TimeoutError') return `the verifier at ${verifier} did not answer in time (${message})`;
  const { code, message: why } = (cause ?? {}) as { code?: string; message?: string };
  return `cannot reach the verifier at ${verifier}: ${code ?? why ?? message ?? String(error)}`;
}
