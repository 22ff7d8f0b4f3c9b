import { loadVerifierConfig } from './verifier.config';

describe(`${loadVerifierConfig.name} VERILAY_EXECUTOR`, () => {
  it('is auto by default (the GPU when an adapter opens, else CPU threads) and takes gpu and cpu', () => {
    expect(loadVerifierConfig({}).executor).toBe('auto');
    expect(loadVerifierConfig({ VERILAY_EXECUTOR: 'gpu' }).executor).toBe('gpu');
    expect(loadVerifierConfig({ VERILAY_EXECUTOR: ' CPU ' }).executor).toBe('cpu');
  });

  it('names the variable when it is anything else', () => {
    expect(() => loadVerifierConfig({ VERILAY_EXECUTOR: 'cuda' })).toThrow(
      /"VERILAY_EXECUTOR" must be one of \[auto, gpu, cpu\]/,
    );
  });
});
