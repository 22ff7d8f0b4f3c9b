import { encodeStepTable, stepCircuitsOf } from './register-model';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';

describe('stepCircuitsOf', () => {
  it('groups equal verifiers (any case) into one circuit, in order of first use', () => {
    expect(stepCircuitsOf([A, B, A.toUpperCase().replace('0X', '0x') as `0x${string}`, B, A])).toEqual({
      verifiers: [A, B],
      table: [0, 1, 0, 1, 0],
    });
  });

  it('gives no circuits for no steps', () => {
    expect(stepCircuitsOf([])).toEqual({ verifiers: [], table: [] });
  });
});

describe('encodeStepTable', () => {
  it('uses one byte a step up to 256 circuits, two (big-endian) beyond', () => {
    expect(encodeStepTable([0, 255, 7], 256)).toBe('0x00ff07');
    expect(encodeStepTable([0, 256, 299], 300)).toBe('0x00000100012b');
  });

  it('refuses an index outside the circuits, a negative one or a fraction', () => {
    expect(() => encodeStepTable([0, 2], 2)).toThrow(RangeError);
    expect(() => encodeStepTable([-1], 2)).toThrow(RangeError);
    expect(() => encodeStepTable([0.5], 2)).toThrow(RangeError);
  });
});
