import { defineConfig } from 'vitest/config';

/**
 * The fast unit tests of the guard and scope code (stryker.units.json): a bare Fastify app with a
 * scripted authenticator, the scope functions, the owner filter on an in-memory SQLite database
 * and the module checks. No full app and no PostgreSQL, so a mutant is judged in seconds.
 */
export default defineConfig({
  test: {
    include: [
      'src/server/http/scope.test.ts',
      'src/server/http/guard.requests.test.ts',
      'src/server/db/scoped.test.ts',
      'src/server/modules/module.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { STEWARD_TEST_ENGINES: 'sqlite' },
  },
});
