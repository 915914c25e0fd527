import { loadSpecText, type OpenApiDocument } from '@herald/api-spec';
import { readiness, type ReadinessCheck } from '@herald/runtime';
import type { OperationHandler } from '../openapi-router.ts';

export function metaHandlers(spec: OpenApiDocument, checks: ReadinessCheck[]): Record<string, OperationHandler> {
  const yaml = loadSpecText();
  return {
    getHealth: () => ({ status: 200, body: { status: 'ok' } }),
    async getReadiness() {
      const r = await readiness(checks);
      return { status: r.ready ? 200 : 503, body: { status: r.ready ? 'ready' : 'not ready', checks: r.checks } };
    },
    getOpenApiYaml: () => ({ status: 200, body: yaml, contentType: 'application/yaml' }),
    getOpenApiJson: () => ({ status: 200, body: spec }),
  };
}
