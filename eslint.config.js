// Typed lint for every workspace. One strict config; tests get the same rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // controller/image/assemble.mjs runs inside the image build (plain JS, no tsconfig).
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.cluster/**',
      'artifacts/**',
      'eslint.config.js',
      'controller/image/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // client-node models are classes, but its documented usage (and the API server) take plain objects.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports only.' },
      ],
    },
  },
  {
    files: ['packages/allocator/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', '@kubernetes/*', 'react', 'ink', 'fs', 'path', 'os', 'crypto'] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/*.test.tsx'],
    rules: {
      // node:test's describe/it return promises that the runner awaits.
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
);
