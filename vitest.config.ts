import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Handlers log JSON lines through Powertools; tests that check logs set their own level.
    // The decision log is off too (no stdout lines, nothing appended to the local store);
    // tests of the decision log set FUSION_DECISION_LOG_SAMPLE themselves.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', FUSION_DECISION_LOG_SAMPLE: '0' },
  },
});
