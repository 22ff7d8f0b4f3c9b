import { loadWatcherConfig } from './watcher.config';

describe(loadWatcherConfig.name, () => {
  it('defaults to a local verifier', () => {
    expect(loadWatcherConfig({})).toMatchObject({ verifierUrl: 'http://127.0.0.1:8080', logFormat: 'text' });
  });

  it('names the variable that is wrong', () => {
    expect(() => loadWatcherConfig({ WATCHER_VERIFIER_URL: 'ftp://x' })).toThrow(
      /"WATCHER_VERIFIER_URL" must be a valid uri/,
    );
    expect(() => loadWatcherConfig({ WATCHER_LOG_FORMAT: 'xml' })).toThrow(
      /"WATCHER_LOG_FORMAT" must be one of/,
    );
  });
});
