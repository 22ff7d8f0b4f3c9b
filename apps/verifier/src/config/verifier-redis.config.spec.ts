import { loadVerifierConfig } from './verifier.config';

describe(`${loadVerifierConfig.name} VERILAY_REDIS_URL`, () => {
  it("is off by default (the defender replays on the verifier's own thread)", () => {
    expect(loadVerifierConfig({}).redisUrl).toBeUndefined();
  });

  it('takes a redis:// or rediss:// URL and names the variable when it is anything else', () => {
    expect(loadVerifierConfig({ VERILAY_REDIS_URL: 'rediss://:pw@redis.internal:6380/2' }).redisUrl).toBe(
      'rediss://:pw@redis.internal:6380/2',
    );
    expect(() => loadVerifierConfig({ VERILAY_REDIS_URL: 'postgres://x' })).toThrow(
      /"VERILAY_REDIS_URL" must be a valid uri/,
    );
  });
});
