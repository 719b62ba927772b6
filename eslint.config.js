// Lint rules for the whole repository. The override for src/workflows keeps
// workflow code deterministic by construction: it may not import Node
// builtins, I/O clients or activity implementations (type imports are fine).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  { ignores: ['node_modules/', '.testenv/', 'dist/', 'deploy/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must stay deterministic.' })),
          patterns: [
            {
              group: [
                '@kubernetes/*',
                '@platformatic/*',
                'pino',
                'prom-client',
                '@temporalio/client',
                '@temporalio/worker',
              ],
              message: 'Workflow code may not do I/O: call an activity instead.',
            },
            {
              group: ['**/activities/**', '**/watch/**', '**/cli/**'],
              allowTypeImports: true,
              message: 'Workflows may import only types from activities, watch and cli.',
            },
          ],
        },
      ],
    },
  },
);
