// Unit and integration specs beside the code; end-to-end specs in test/e2e (jest.e2e.config.js).
const { readFileSync } = require('node:fs');
const swc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps'],
  testRegex: '\\.spec\\.ts$',
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] },
  moduleNameMapper: { '^@verilay/(.*)$': '<rootDir>/libs/$1/src/index.ts' },
  testTimeout: 30000,
  prettierPath: null,
};
