/**
 * Global setup of the console's component tests: one real config-api (memory store), started
 * in Node (not in jsdom, whose globals break Node's crypto and Buffer checks). Each test file
 * makes its own account through the operator token, so files do not see each other's data.
 */
import type { TestProject } from 'vitest/node';
import { OPERATOR, startApiFixture } from '@herald/config-api/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    consoleApi: { baseUrl: string; operatorToken: string };
  }
}

export default async function setup(project: TestProject) {
  const api = await startApiFixture();
  project.provide('consoleApi', { baseUrl: api.baseUrl, operatorToken: OPERATOR });
  return () => api.close();
}
