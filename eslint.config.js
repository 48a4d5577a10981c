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
// Relative (or src/-rooted) imports that land in the UI layers, e.g.
// '../app/App', '../../store', 'src/views/Tree'.
const UI_LAYERS = String.raw`^(?:(?:\.\./)+|(?:\./)?src/|@/)(?:app|views|store)(?:/|$)`;

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
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: UI_PACKAGES,
              message: 'src/core and src/scenario are pure: no UI libraries (React, zustand, d3, CodeMirror).',
            },
            {
              regex: UI_LAYERS,
              message: 'src/core and src/scenario must not depend on the UI layers (src/app, src/views, src/store).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'window', message: 'src/core and src/scenario must not touch the DOM.' },
        { name: 'document', message: 'src/core and src/scenario must not touch the DOM.' },
      ],
    },
  },
);
