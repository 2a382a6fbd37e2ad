// ESLint flat config (`npm run lint` runs it with `prettier --check`; `npm test` runs `npm run lint` before Jest).
// TypeScript gets typescript-eslint's type-aware `recommendedTypeChecked` set, which includes no-floating-promises,
// no-misused-promises and the no-unsafe-* family, plus the strict rules listed below that catch real mistakes.
// Formatting is Prettier's job: no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'deploy/kafka/.cache/**', 'deploy/kafka/.data/**', 'bench/results/**', 'coverage/**', '.local/**'],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Stated explicitly (they are in recommendedTypeChecked): the rules this lint exists for.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      // From strictTypeChecked: mistakes rather than style.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A `default:` branch is a deliberate catch-all (e.g. every other `typeof`), not a forgotten case.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests and the fault harness read HTTP bodies (supertest types `response.body` as any), JSON.parse results and
    // pg rows in order to assert on them: there a wrong shape fails the test itself, and typing every body would only
    // restate the assertion. The no-unsafe-* family stays on for apps/, libs/ and bench/ code; every other rule
    // (floating and misused promises included) applies to tests as well.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.smoke-spec.ts', '**/*.faults-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The officers' page: plain browser JavaScript modules, no type information.
    files: ['apps/registry/web/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser } },
  },
  {
    // Config files at the root (this one, jest.config.mjs), and the local identity provider (deploy/idp).
    files: ['*.mjs', 'deploy/idp/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
);
