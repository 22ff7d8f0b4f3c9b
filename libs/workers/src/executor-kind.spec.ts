import { InvalidExecutorKindError, parseExecutorKind } from './executor-kind';

describe(parseExecutorKind.name, () => {
  it('reads auto, gpu and cpu in any case and spacing, and auto when unset or empty', () => {
    expect(parseExecutorKind(' GPU ')).toBe('gpu');
    expect(parseExecutorKind('cpu')).toBe('cpu');
    expect(parseExecutorKind(undefined)).toBe('auto');
    expect(parseExecutorKind('')).toBe('auto');
  });

  it('refuses any other value, naming the variable', () => {
    expect(() => parseExecutorKind('cuda')).toThrow(InvalidExecutorKindError);
    expect(() => parseExecutorKind('cuda', '--executor')).toThrow(
      '--executor is "cuda"; expected auto, gpu or cpu',
    );
  });
});
