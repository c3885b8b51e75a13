import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // src/driver/pg.ts loads `pg` without Node 20's fetch implementation, and src/vendor/zod.ts is
    // zod bundled into one module; see there.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/*.fixture.ts', 'src/driver/pg.ts', 'src/vendor/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'pg', message: "import pg from src/driver/pg.ts, which loads it without Node 20's fetch implementation", allowTypeImports: true },
            { name: 'zod', message: 'import z from src/vendor/zod.ts, which the build bundles into one module', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);
