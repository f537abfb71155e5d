import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20000,
    hookTimeout: 30000,
    // End-to-end files each start their own server on ephemeral ports.
    pool: 'forks',
    // COMPAT(@xmpp/client 0.14): a failed SASL login also rejects an internal
    // promise nobody awaits; the tests assert on the rejection they do await.
    onUnhandledError: (error) => (error as { name?: string }).name !== 'SASLError',
  },
});
