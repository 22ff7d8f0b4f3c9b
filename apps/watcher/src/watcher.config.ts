import Joi from 'joi';

export class WatcherConfig {
  readonly verifierUrl!: string;
  readonly logFormat!: 'text' | 'json';
}

export const WATCHER_ENV_SCHEMA = Joi.object({
  WATCHER_VERIFIER_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .default('http://127.0.0.1:8080'),
  WATCHER_LOG_FORMAT: Joi.string().valid('text', 'json').default('text'),
}).unknown(true);

/** Validates the environment; a bad value throws an error naming the variable. */
export function loadWatcherConfig(env: Record<string, string | undefined>): WatcherConfig {
  const { error, value } = WATCHER_ENV_SCHEMA.validate(env, { abortEarly: false });
  if (error)
    throw new Error(`Invalid watcher configuration: ${error.details.map((d) => d.message).join('; ')}`);
  return Object.assign(new WatcherConfig(), {
    verifierUrl: value.WATCHER_VERIFIER_URL,
    logFormat: value.WATCHER_LOG_FORMAT,
  });
}
