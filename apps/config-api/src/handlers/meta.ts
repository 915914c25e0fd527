import { loadSpecText, type OpenApiDocument } from '@herald/api-spec';
import { readiness, type ReadinessCheck } from '@herald/runtime';
import type { PluginRegistry } from '@herald/transport';
import type { Store } from '@herald/store';
import type { OperationHandler } from '../openapi-router.ts';

const BUILT_IN = new Set(['none', 'basic', 'bearer', 'headers']);

/** `GET /v1/me` and `GET /v1/plugins`: what a console asks first. */
export function callerHandlers(deps: { store: Store; plugins: PluginRegistry }): Record<string, OperationHandler> {
  return {
    async getCaller({ principal }) {
      if (principal?.kind !== 'account') return { status: 200, body: { kind: principal?.kind ?? 'operator' } };
      const account = await deps.store.accounts.get(principal.account);
      return {
        status: 200,
        body: { kind: 'account', accountId: principal.account, role: principal.role, keyId: principal.keyId, webhooksEnabled: account?.webhooksEnabled ?? true },
      };
    },
    listPlugins: () => ({
      status: 200,
      body: {
        data: deps.plugins.list().map((p) => ({
          id: p.id,
          version: p.version,
          builtIn: BUILT_IN.has(p.id),
          configSchema: p.configSchema as Record<string, unknown>,
          secretFields: [...p.secretFields],
        })),
      },
    }),
  };
}

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
