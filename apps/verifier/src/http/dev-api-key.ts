import type { LoggerService } from '@nestjs/common';
import { API_SCOPES, devApiKeyFile, hashApiKey, mintApiKey } from '@verilay/client';
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import type { VerifierConfig } from '../config/verifier.config';

/**
 * A development verifier (no VERIFIER_API_KEYS, no CHAIN_RPC_URL) mints itself one admin key with
 * every scope and keeps it beside its database (`<VERIFIER_DB>.api-key`, mode 0600), so the demo
 * and local runs need no set-up; the same file is reused after a restart. On an RPC chain nothing
 * is minted: without configured keys the admin endpoints refuse every request.
 */
export function withDevApiKey(config: VerifierConfig, logger: LoggerService): VerifierConfig {
  if (config.apiKeys.length) return config;
  if (config.chainMode === 'rpc') {
    logger.warn(
      'VERIFIER_API_KEYS is empty: POST /v1/models and POST /v1/proofs refuse every request',
      'auth',
    );
    return config;
  }
  const file = devApiKeyFile(config.dbPath);
  const existing = readOwnKeyFile(file);
  let token = existing ?? '';
  if (!token) {
    token = mintApiKey('dev', API_SCOPES).token;
    // SAFETY: 'wx' creates the file or fails; it never follows a link planted where the key goes.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: existing === undefined ? 'wx' : 'w' });
  }
  logger.log(`development API key (scopes ${API_SCOPES.join(', ')}) in ${file}`, 'auth');
  return Object.assign(Object.create(Object.getPrototypeOf(config) as object) as VerifierConfig, config, {
    apiKeys: [{ id: 'dev', scopes: [...API_SCOPES], sha256: hashApiKey(token) }],
  });
}

/**
 * The existing key file's token, or undefined when there is none. A key file that is a link, belongs to
 * someone else or is readable by others (a shared directory) is refused: the key would not be ours.
 */
function readOwnKeyFile(file: string): string | undefined {
  let stat;
  try {
    stat = lstatSync(file);
  } catch {
    return undefined;
  }
  const own = stat.isFile() && (process.getuid === undefined || stat.uid === process.getuid());
  if (!own || (stat.mode & 0o077) !== 0)
    throw new Error(
      `${file} must be a regular file of this user with mode 0600; remove it to mint a new key`,
    );
  return readFileSync(file, 'utf8').trim();
}
