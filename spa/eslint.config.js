import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import pluginQuery from '@tanstack/eslint-plugin-query';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import reactRefresh from 'eslint-plugin-react-refresh';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import local from './eslint/no-import-cycle.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

// Every folder under src/features is a feature: a new one is fenced in without editing this file.
const FEATURES = readdirSync(new URL('./src/features', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

// Resolved imports (the `@/` alias through tsconfig.json), so the fences and the cycle check
// see `@/features/x` and `../../x` alike.
const resolver = createNodeResolver({
  extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.json'],
  tsconfig: { configFile: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) },
});

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'src/lib/api/schema.d.ts', 'e2e/output', 'playwright-report', 'test-results'] },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.strict, ...pluginQuery.configs['flat/recommended']],
    languageOptions: { ecmaVersion: 2022, globals: globals.browser },
    plugins: { 'react-hooks': reactHooks, 'react-refresh': reactRefresh, 'import-x': importX, local },
    settings: {
      // import-x reads the files an import names to follow it: TypeScript, through typescript-eslint's parser.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [resolver],
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'react-refresh/only-export-components': ['warn', { allowConstantExport: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // No module loop: import-x's check follows value imports; the local one type-only ones too.
      'import-x/no-cycle': 'error',
      'local/no-import-cycle': ['error', { root: `${HERE}src` }],
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: HERE,
          zones: [
            // Features are independent: compose them in src/app, never import one from another.
            ...FEATURES.map((feature) => ({
              target: `./src/features/${feature}`,
              from: './src/features',
              except: [`./${feature}`],
              message: 'No imports between features: compose them in src/app.',
            })),
            {
              target: './src/features',
              from: './src/app',
              message: 'Features do not import the app: it composes them.',
            },
            // Shared code sits below the features and knows none of them.
            {
              target: ['./src/lib', './src/components'],
              from: ['./src/features', './src/app'],
              message: 'Shared code (lib/, components/) imports no feature and not the app.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/testing/**', '**/*.test.{ts,tsx}', 'src/lib/**/*.tsx'],
    rules: { 'react-refresh/only-export-components': 'off' },
  },
  {
    files: ['**/*.test.{ts,tsx}'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint/**/*.js', '*.config.{js,ts}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    extends: [js.configs.recommended],
  },
  {
    // The end-to-end specs: Node code driving a browser, whose callbacks run in the page.
    // A promise left unawaited there is a race, so these rules need the types.
    files: ['e2e/**/*.ts', 'playwright.config.ts'],
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: { project: './tsconfig.node.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Playwright's fixtures call `use`, which is no React hook.
      'react-hooks/rules-of-hooks': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
);
