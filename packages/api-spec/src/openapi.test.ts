import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { validateEnvelope } from '@herald/core';
import { OPENAPI_PATH } from './index.ts';

const spec = parse(readFileSync(OPENAPI_PATH, 'utf8'));
const ajv = new Ajv2020({ strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const envelopeSchema = ajv.compile(spec.components.schemas.EventEnvelope);
const example = spec.paths['/v1/events'].post.requestBody.content['application/json'].example;

describe('openapi.yaml', () => {
  it('is OpenAPI 3.1 and every operation has an id and an example per JSON answer', () => {
    expect(spec.openapi).toBe('3.1.0');
    for (const [path, item] of Object.entries<Record<string, { operationId?: string; responses: Record<string, unknown> }>>(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      }
    }
  });

  it('documents an intake example that Herald accepts', () => {
    expect(validateEnvelope(example)).toMatchObject({ ok: true });
    expect(envelopeSchema(example)).toBe(true);
  });

  it('agrees with the envelope validator of core on good and bad envelopes', () => {
    const cases: unknown[] = [
      example,
      { ...example, action: 'created' },
      { ...example, entity: { type: 'ticket', id: 1 } },
      { ...example, extra: true },
      { ...example, occurredAt: 'yesterday' },
      { ...example, id: '' },
    ];
    for (const c of cases) expect(envelopeSchema(c), JSON.stringify(c)).toBe(validateEnvelope(c).ok);
  });
});
