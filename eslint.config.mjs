// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Pure libs compute; they never touch a framework, a chain client or a database.
const IMPURE = [
  '@nestjs/*',
  'viem',
  'viem/*',
  'typeorm',
  'sqlite3',
  'express',
  '@verilay/storage',
  '@verilay/chain',
  '@verilay/client',
];
const PURE_LIBS = [
  'libs/errors/src/**/*.ts',
  'libs/inference/src/**/*.ts',
  'libs/commitments/src/**/*.ts',
  'libs/protocol/src/**/*.ts',
  'libs/onnx/src/**/*.ts',
  'libs/native/src/**/*.ts',
];
// Every lib has one public entry; nothing reaches into another lib's files.
const NO_DEEP = [
  { group: ['@verilay/*/*'], message: 'Import a lib through its public entry: @verilay/<lib>.' },
  {
    group: ['**/libs/*', '**/libs/**', '../../*'],
    message: 'No relative imports that climb out of a package; use @verilay/<lib>.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'circuits/**',
      '**/*.js',
      '!apps/*/ui/**/*.js',
      '!libs/web-ui/browser/**/*.js',
      '**/*.cjs',
      '**/.venv/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The dashboards: plain ES modules run by the browser as written (libs/web-ui).
    files: ['apps/*/ui/**/*.js', 'libs/web-ui/browser/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: NO_DEEP }],
    },
  },
  {
    files: PURE_LIBS,
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...NO_DEEP,
            { group: IMPURE, message: 'Pure libs import no Nest, viem, typeorm or other impure lib.' },
          ],
        },
      ],
    },
  },
);
