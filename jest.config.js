// Unit and integration specs beside the code; end-to-end specs in test/e2e (jest.e2e.config.js).
// ts-jest transpiles each file alone (isolatedModules in tsconfig); `npm run check` type-checks.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/contracts', '<rootDir>/scripts'],
  testRegex: '\\.spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleNameMapper: { '^@verilay/(.*)$': '<rootDir>/libs/$1/src/index.ts' },
  testTimeout: 30000,
  // Each spec file in a fresh worker process: in one process (jest runs in band on 2 cores) native
  // state piles up across files (sqlite3, onnxruntime, snarkjs' thread pools) and glibc once
  // aborted the whole run with a corrupted heap. Workers are recycled once idle above this.
  maxWorkers: 2,
  workerIdleMemoryLimit: '64MB',
  prettierPath: null,
};
