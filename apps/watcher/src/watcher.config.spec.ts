import { loadWatcherConfig } from './watcher.config';

describe(loadWatcherConfig.name, () => {
  const chain = {
    WATCHER_RPC_URL: 'http://127.0.0.1:8545',
    WATCHER_CHAIN_ID: '31337',
    WATCHER_CLAIMS_CONTRACT: `0x${'11'.repeat(20)}`,
    WATCHER_REGISTRY_CONTRACT: `0x${'22'.repeat(20)}`,
  };

  it('defaults to a local verifier, every claim, a 1 ETH bond budget', () => {
    expect(loadWatcherConfig(chain)).toMatchObject({
      verifierUrl: 'http://127.0.0.1:8080',
      logFormat: 'text',
      sampleRate: 1,
      bondBudget: 10n ** 18n,
      confirmations: 0,
      chainId: 31337,
      deployBlock: 0,
      redisUrl: undefined,
      executor: 'auto',
      dbPath: 'verilay-watcher.sqlite',
      databaseUrl: undefined,
      checkConcurrency: undefined,
      checkInflightBytes: 1024 * 2 ** 20,
    });
    expect(loadWatcherConfig({ ...chain, WATCHER_CHECK_CONCURRENCY: '8' }).checkConcurrency).toBe(8);
    expect(
      loadWatcherConfig({ ...chain, WATCHER_DATABASE_URL: 'postgres://w@db:5432/watcher' }).databaseUrl,
    ).toBe('postgres://w@db:5432/watcher');
    expect(loadWatcherConfig({ ...chain, VERILAY_EXECUTOR: ' GPU ' }).executor).toBe('gpu');
    expect(loadWatcherConfig({ ...chain, VERILAY_REDIS_URL: 'redis://10.0.0.5:6379' }).redisUrl).toBe(
      'redis://10.0.0.5:6379',
    );
  });

  it('names the variable that is wrong', () => {
    const bad = (env: Record<string, string>) => () => loadWatcherConfig({ ...chain, ...env });
    expect(bad({ WATCHER_VERIFIER_URL: 'ftp://x' })).toThrow(/"WATCHER_VERIFIER_URL" must be a valid uri/);
    expect(bad({ WATCHER_LOG_FORMAT: 'xml' })).toThrow(/"WATCHER_LOG_FORMAT" must be one of/);
    expect(bad({ WATCHER_SAMPLE_RATE: '1.5' })).toThrow(/"WATCHER_SAMPLE_RATE"/);
    expect(bad({ WATCHER_KEY: '0x12' })).toThrow(/"WATCHER_KEY"/);
    expect(bad({ WATCHER_BOND_BUDGET: '-1' })).toThrow(/"WATCHER_BOND_BUDGET"/);
    expect(bad({ WATCHER_CHAIN_ID: '0' })).toThrow(/"WATCHER_CHAIN_ID"/);
    expect(bad({ VERILAY_REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(
      /"VERILAY_REDIS_URL" must be a valid uri/,
    );
    expect(bad({ WATCHER_DATABASE_URL: 'mysql://db/w' })).toThrow(
      /"WATCHER_DATABASE_URL" must be a valid uri/,
    );
    expect(bad({ WATCHER_DATABASE_URL: 'postgres://db.internal:5432' })).toThrow(
      /"WATCHER_DATABASE_URL" failed custom validation because the Postgres URL needs a host and a database name/,
    );
    expect(bad({ WATCHER_CHECK_CONCURRENCY: '0' })).toThrow(/"WATCHER_CHECK_CONCURRENCY" must be/);
    expect(bad({ WATCHER_CHECK_CONCURRENCY: '2.5' })).toThrow(/"WATCHER_CHECK_CONCURRENCY" must be/);
    expect(bad({ WATCHER_CHECK_INFLIGHT_MB: '0' })).toThrow(/"WATCHER_CHECK_INFLIGHT_MB" must be/);
    expect(bad({ VERILAY_NATIVE: 'yes' })).toThrow(/"VERILAY_NATIVE" must be one of \[auto, on, off\]/);
    expect(bad({ VERILAY_EXECUTOR: 'cuda' })).toThrow(/"VERILAY_EXECUTOR" must be one of \[auto, gpu, cpu\]/);
  });

  it('needs its own chain and contracts: none is taken from the verifier it polices', () => {
    expect(() => loadWatcherConfig({})).toThrow(/"WATCHER_RPC_URL" is required/);
    for (const variable of Object.keys(chain))
      expect(() => loadWatcherConfig({ ...chain, [variable]: undefined })).toThrow(
        new RegExp(`"${variable}" is required`),
      );
  });
});
