import { defineConfig } from 'vitest/config';

/**
 * What mutation testing runs (npm run test:mutation): the engine's unit and property tests, and
 * the guard and scope tests on SQLite alone (each mutant reruns the tests that cover it).
 */
export default defineConfig({
  test: {
    include: [
      'src/authz/**/*.test.ts',
      'src/server/http/*.test.ts',
      'src/server/db/scoped.test.ts',
      'src/server/modules/module.test.ts',
      'test/hardening-own-scope.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { PROPERTY_RUNS: '1500', STEWARD_TEST_ENGINES: 'sqlite' },
  },
});
