// End-to-end specs: real processes built from dist/ (run `npm run build` first; `npm test` does).
const base = require('./jest.config.js');
module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
  testRegex: '\\.e2e-spec\\.ts$',
  testTimeout: 120000,
  maxWorkers: 1,
};
