import { loadWatcherConfig } from './watcher.config';

describe(loadWatcherConfig.name, () => {
  it('defaults to a local verifier, every claim, a 1 ETH bond budget', () => {
    expect(loadWatcherConfig({})).toMatchObject({
      verifierUrl: 'http://127.0.0.1:8080',
      logFormat: 'text',
      sampleRate: 1,
      bondBudget: 10n ** 18n,
      confirmations: 0,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => loadWatcherConfig({ WATCHER_VERIFIER_URL: 'ftp://x' })).toThrow(
      /"WATCHER_VERIFIER_URL" must be a valid uri/,
    );
    expect(() => loadWatcherConfig({ WATCHER_LOG_FORMAT: 'xml' })).toThrow(
      /"WATCHER_LOG_FORMAT" must be one of/,
    );
    expect(() => loadWatcherConfig({ WATCHER_SAMPLE_RATE: '1.5' })).toThrow(/"WATCHER_SAMPLE_RATE"/);
    expect(() => loadWatcherConfig({ WATCHER_KEY: '0x12' })).toThrow(/"WATCHER_KEY"/);
    expect(() => loadWatcherConfig({ WATCHER_BOND_BUDGET: '-1' })).toThrow(/"WATCHER_BOND_BUDGET"/);
  });

  it('takes an RPC URL only with the contracts it should watch', () => {
    expect(() => loadWatcherConfig({ WATCHER_RPC_URL: 'http://127.0.0.1:8545' })).toThrow(
      /WATCHER_CLAIMS_CONTRACT|WATCHER_REGISTRY_CONTRACT/,
    );
  });
});
