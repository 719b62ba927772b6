// Lint rules for the whole repository. The overrides keep the boundaries of
// DESIGN's folders: workflow code and src/domain (which runs inside
// workflows too) stay deterministic by construction, with no Node builtins,
// I/O clients or activity implementations (type imports are fine); activities
// reach neither into workflow code nor into the operator process; and every
// failure thrown on purpose comes from the vocabulary in src/domain/failures.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

const deterministic = (message) => ({
  paths: nodeBuiltins.map((name) => ({ name, message })),
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
      // Types of the clients' objects (a V1Pod built as data) are fine.
      allowTypeImports: true,
      message: 'No I/O in workflow code or src/domain: call an activity instead.',
    },
  ],
});

// The SDK evaluates every module of the workflow bundle again in each
// workflow's context: zod and the schemas built with it cost each cached
// workflow about a megabyte. Workflow code takes specs checked by an activity
// (src/workflows/spec-check.ts) and imports only types from these.
const schemaModules = {
  group: [
    'zod',
    'croner',
    '**/crd/kafka-cluster.ts',
    '**/crd/kafka-cluster-status.ts',
    '**/crd/kafka-topic.ts',
    '**/crd/kafka-user.ts',
    '**/crd/cluster-resource.ts',
    '**/crd/spec-rules.ts',
    '**/crd/spec-check.ts',
    '**/crd/backup-schedule.ts',
    '**/crd/pod-template.ts',
    '**/crd/metrics.ts',
    '**/crd/rules.ts',
  ],
  allowTypeImports: true,
  message:
    'Workflow code and src/domain import only types from schemas (zod would be evaluated per workflow).',
};

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
    files: ['src/**/*.ts'],
    ignores: ['src/domain/failures.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "MemberExpression[object.name='ApplicationFailure'][property.name=/^(create|nonRetryable|retryable|fromError)$/]",
          message:
            'Throw failure(type, message) from src/domain/failures.ts: one vocabulary of failure types.',
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...deterministic('src/domain runs inside workflows too: it must stay deterministic.'),
          patterns: [
            ...deterministic('').patterns,
            {
              group: ['**/activities/**', '**/watch/**', '**/cli/**', '**/operator/**', '**/workflows/**'],
              message: 'src/domain is pure: it imports only crd and itself.',
            },
            schemaModules,
          ],
        },
      ],
    },
  },
  {
    files: ['src/activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows/**'],
              allowTypeImports: true,
              message:
                'Activities take ids and signal names from src/domain/workflow-ids.ts, not from workflow code.',
            },
            {
              group: ['**/operator/**', '**/watch/**', '**/cli/**'],
              message: 'Activities report to the operator through the callbacks createActivities takes.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...deterministic('Workflow code must stay deterministic.'),
          patterns: [
            ...deterministic('').patterns,
            {
              group: ['**/activities/**', '**/watch/**', '**/cli/**'],
              allowTypeImports: true,
              message: 'Workflows may import only types from activities, watch and cli.',
            },
            schemaModules,
          ],
        },
      ],
    },
  },
);
