// Unit and integration specs beside the code; end-to-end specs in test/e2e (jest.e2e.config.js).
// ts-jest transpiles only (isolatedModules): `npm run check` does the type checking.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps'],
  testRegex: '\\.spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  moduleNameMapper: { '^@verilay/(.*)$': '<rootDir>/libs/$1/src/index.ts' },
  testTimeout: 30000,
  prettierPath: null,
};
