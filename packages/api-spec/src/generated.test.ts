import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGeneratedTypes, GENERATED_PATH } from './codegen.ts';
import { OPENAPI_PATH } from './spec.ts';

const tmp = mkdtempSync(join(tmpdir(), 'herald-api-spec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('src/generated/openapi.ts', () => {
  it('is what openapi-typescript generates from openapi.yaml now (else run `pnpm --filter @herald/api-spec generate`)', async () => {
    const state = await checkGeneratedTypes();
    expect(state.upToDate ? 'up to date' : state.reason).toBe('up to date');
  });

  it('is reported stale, with the way out, when the spec changes', async () => {
    const spec = join(tmp, 'openapi.yaml');
    writeFileSync(spec, readFileSync(OPENAPI_PATH, 'utf8').replace('title: Herald API', 'title: Herald API (changed)').replace('name: { type: string }', 'name: { type: string, description: Changed. }'));
    const state = await checkGeneratedTypes(spec, GENERATED_PATH);
    expect(state.upToDate).toBe(false);
    if (!state.upToDate) expect(state.reason).toMatch(/is stale.*line \d+.*pnpm --filter @herald\/api-spec generate/s);
    const missing = await checkGeneratedTypes(OPENAPI_PATH, join(tmp, 'nothing.ts'));
    expect(missing.upToDate).toBe(false);
  });
});
