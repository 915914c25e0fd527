/**
 * Global setup of the console's component tests: one real config-api (memory store), started
 * in Node (not in jsdom, whose globals break Node's crypto and Buffer checks). Each test file
 * makes its own account through the operator token, so files do not see each other's data.
 */
import type { TestProject } from 'vitest/node';
import { OPERATOR, startApiFixture } from '@herald/config-api/testing';
import { startDeliverySeeder } from './screens/log/seed-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    consoleApi: { baseUrl: string; operatorToken: string };
  }
}

export default async function setup(project: TestProject) {
  const api = await startApiFixture();
  project.provide('consoleApi', { baseUrl: api.baseUrl, operatorToken: OPERATOR });
  // The log's tests need ordinary deliveries, which only the engine writes: a loopback seeder writes them to the store.
  const seeder = await startDeliverySeeder(api.store);
  project.provide('consoleSeed', { url: seeder.url });
  return async () => {
    await seeder.close();
    await api.close();
  };
}
