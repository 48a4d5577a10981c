// Flat config. Zero-warnings policy: `npm run lint` uses --max-warnings 0.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

// The simulation core and the scenario language must stay pure (runnable in
// Node, in a worker, in tests, in the CLI): no UI libraries, no UI layers.
const UI_PACKAGES = [
  'react',
  'react/*',
  'react-dom',
  'react-dom/*',
  'zustand',
  'zustand/*',
  'd3',
  'd3-*',
  '@codemirror/*',
];
/**
 * The layers, each importing only those to its left (excalidraw's
 * eslintrc.base.json restricts its packages the same way):
 *
 *   core <- scenario <- store <- views <- app
 *
 * and the CLI (src/cli, Node) uses only core and scenario. The core's tests
 * may drive it through the scenario language; its production code may not.
 * An import from `layer` written relatively or src/-rooted, e.g.
 * '../app/App', '../../store', 'src/views/Tree'.
 */
const layerImport = (layers) => String.raw`^(?:(?:\.\./)+(?:src/)?|(?:\./)?src/|@/)(?:${layers.join('|')})(?:/|$)`;
const TESTS = ['src/**/*.test.{ts,tsx}', 'src/**/*.test-helper.ts'];

/**
 * The no-restricted-imports rule of a folder: the layers it may not import, and whether UI libraries are banned too.
 */
function layerRule(from, forbidden, { ui = false } = {}) {
  const patterns = [
    {
      regex: layerImport(forbidden),
      message: `src/${from} may not import ${forbidden.map((l) => `src/${l}`).join(', ')}: core <- scenario <- store <- views <- app, each layer imports only those to its left (the CLI: core and scenario).`,
    },
  ];
  if (ui)
    patterns.unshift({
      group: UI_PACKAGES,
      message: 'src/core and src/scenario are pure: no UI libraries (React, zustand, d3, CodeMirror).',
    });
  return ['error', { patterns }];
}

export default defineConfig(
  {
    ignores: [
      'dist/',
      'dist-cli/',
      'test-results/',
      'playwright-report/',
      'blob-report/',
      'node_modules/',
      'test/linux/build/',
      // Local profiling scripts and builds (gitignored).
      '.scratch/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Default: Node code (CLI, scripts, tests, configs).
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a deliberately unused binding.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // Prettier's width (.prettierrc.json): Prettier wraps code, scripts/rewrap-comments.py wraps comments;
      // neither breaks a string, so a line holding a long string, template or regex is let through.
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  {
    // Browser code.
    files: ['src/main.tsx', 'src/app/**', 'src/views/**', 'src/store/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['src/app/**/*.{ts,tsx}', 'src/views/**/*.{ts,tsx}', 'src/store/**/*.{ts,tsx}', 'src/main.tsx'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ['src/core/**', 'src/scenario/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'window', message: 'src/core and src/scenario must not touch the DOM.' },
        { name: 'document', message: 'src/core and src/scenario must not touch the DOM.' },
      ],
    },
  },
  // The layer order, one folder at a time (a later block replaces the rule's options for its files).
  {
    files: ['src/core/**'],
    rules: { 'no-restricted-imports': layerRule('core', ['scenario', 'store', 'views', 'app', 'cli'], { ui: true }) },
  },
  {
    files: TESTS.map((t) => t.replace('src/**', 'src/core/**')),
    rules: { 'no-restricted-imports': layerRule('core', ['store', 'views', 'app', 'cli'], { ui: true }) },
  },
  {
    files: ['src/scenario/**'],
    rules: { 'no-restricted-imports': layerRule('scenario', ['store', 'views', 'app', 'cli'], { ui: true }) },
  },
  { files: ['src/store/**'], rules: { 'no-restricted-imports': layerRule('store', ['views', 'app', 'cli']) } },
  { files: ['src/views/**'], rules: { 'no-restricted-imports': layerRule('views', ['app', 'cli']) } },
  { files: ['src/app/**', 'src/main.tsx'], rules: { 'no-restricted-imports': layerRule('app', ['cli']) } },
  { files: ['src/cli/**'], rules: { 'no-restricted-imports': layerRule('cli', ['store', 'views', 'app']) } },
);
