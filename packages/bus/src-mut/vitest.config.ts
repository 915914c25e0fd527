import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['packages/bus/src-mut/**/*.test.ts'], testTimeout: 20_000 } });
