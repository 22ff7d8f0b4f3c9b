import type { LoggerService } from '@nestjs/common';
import { API_SCOPES, devApiKeyFile, hashApiKey, mintApiKey } from '@verilay/client';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
  let token = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!token) {
    token = mintApiKey('dev', API_SCOPES).token;
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  }
  logger.log(`development API key (scopes ${API_SCOPES.join(', ')}) in ${file}`, 'auth');
  return Object.assign(Object.create(Object.getPrototypeOf(config) as object) as VerifierConfig, config, {
    apiKeys: [{ id: 'dev', scopes: [...API_SCOPES], sha256: hashApiKey(token) }],
  });
}
