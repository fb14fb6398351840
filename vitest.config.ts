import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    // expect.poll waits for what a browser or a server shows; a busy CI machine takes longer than the 1 s default.
    expect: { poll: { timeout: 10_000 } },
  },
});
