import { servedClaims, servedInput } from './served-data';

const H = (b: string) => `0x${b.repeat(32)}`;
const claim = {
  claimId: H('01'),
  modelId: H('02'),
  taskId: H('03'),
  inputCommitment: H('04'),
  outputCommitment: H('05'),
  traceRoot: H('06'),
  operator: `0x${'07'.repeat(20)}`,
  signature: `0x${'08'.repeat(65)}`,
};

describe(servedClaims.name, () => {
  it('passes a well-formed batch answer through', () => {
    expect(servedClaims({ chainIndex: 0, claims: [claim] })).toEqual([claim]);
  });

  it('says why junk cannot be used, instead of throwing later', () => {
    expect(servedClaims({ claims: null })).toMatch(/no list of claims/);
    expect(servedClaims('[]')).toMatch(/no list of claims/);
    expect(servedClaims({ claims: [null] })).toMatch(/claim 0 is not an object/);
    const { claimId: _, ...withoutId } = claim;
    expect(servedClaims({ claims: [claim, withoutId] })).toMatch(/claim 1 has no 32-byte claimId/);
    expect(servedClaims({ claims: [{ ...claim, operator: 7 }] })).toMatch(/operator/);
    expect(servedClaims({ claims: [{ ...claim, signature: '0xabc' }] })).toMatch(/signature/);
  });
});

describe(servedInput.name, () => {
  it('passes values and salt through', () => {
    expect(servedInput({ data: [1, -2], salt: '0x63' })).toEqual({ data: [1, -2], salt: '0x63' });
    expect(servedInput({ data: [] })).toEqual({ data: [], salt: null });
  });

  it('says why a malformed input cannot be used', () => {
    expect(servedInput({ data: null })).toMatch(/no input values/);
    expect(servedInput({ data: ['1'] })).toMatch(/not all integers/);
    expect(servedInput({ data: [1.5] })).toMatch(/not all integers/);
    expect(servedInput({ data: [1], salt: 'pepper' })).toMatch(/salt/);
  });
});
