import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'bench/results/', 'coverage/', 'reports/', '.scratch-*/', 'functions/playground/dist/', 'clients/typescript/dist/', 'clients/typescript/src/contract.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-sequences': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
