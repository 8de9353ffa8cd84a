import { defineConfig } from 'vitest/config';

/** The pure unit tests that mutation testing runs (no database, no global setup). */
export default defineConfig({
  test: {
    include: ['src/authz/**/*.test.ts', 'src/server/http/*.test.ts', 'src/server/modules/module.test.ts'],
    testTimeout: 60_000,
    env: { PROPERTY_RUNS: '1500' },
  },
});
