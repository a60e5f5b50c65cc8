import { defineConfig } from 'vitest/config';

// The environment is pinned so goldens are stable: ktimestamp and delta-time read the local time zone.
export default defineConfig({
  test: {
    env: { TZ: 'UTC', LC_ALL: 'C', FORCE_COLOR: '0', NO_COLOR: '1' },
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // integration files build network namespaces; they run one file at a time
    fileParallelism: false,
  },
});
