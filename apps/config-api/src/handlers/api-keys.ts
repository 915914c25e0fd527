import { HeraldError, newId } from '@herald/core';
import type { ApiKey } from '@herald/store';
import type { OperationHandler } from '../openapi-router.ts';
import { newApiKey } from '../auth.ts';
import { pageOf, presentApiKey } from '../presenters.ts';
import { notFound, type ApiDeps } from './context.ts';
import type { Principal } from '../auth.ts';

/** The account a key operation is about: the caller's own, or (operator) the one named. */
function targetAccount(principal: Principal | undefined, named: string | undefined, field: string): string {
  if (principal?.kind === 'account') {
    if (named !== undefined && named !== principal.account) {
      throw new HeraldError('HERALD_FORBIDDEN', 'An account key may only manage its own account\'s keys');
    }
    return principal.account;
  }
  if (named === undefined) {
    throw HeraldError.validation('The operator must name the account', [{ field, message: 'is required with the operator token' }]);
  }
  return named;
}

export function apiKeyHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  return {
    async createApiKey({ principal, body }) {
      const b = body as { account?: string; role: 'admin' | 'read'; name: string };
      const account = targetAccount(principal, b.account, '/account');
      if (!(await deps.store.accounts.get(account))) {
        throw HeraldError.validation(`No account ${account}`, [{ field: '/account', message: 'is not an existing account' }]);
      }
      const { key, hash, prefix } = newApiKey();
      const record: ApiKey = { id: newId('key'), account, name: b.name, role: b.role, hash, prefix, createdAt: new Date(), revokedAt: null, lastUsedAt: null };
      await deps.store.apiKeys.insert(record);
      const p = presentApiKey(record);
      return { status: 201, body: { id: p.id, key, account: p.account, role: p.role, name: p.name, prefix: p.prefix, createdAt: p.createdAt } };
    },
    async listApiKeys({ principal, query }) {
      const account = targetAccount(principal, query.account as string | undefined, 'account');
      const limit = (query.limit as number | undefined) ?? 20;
      const all = await deps.store.apiKeys.list(account);
      const after = query.after as string | undefined;
      const start = after ? all.findIndex((k) => k.id === after) + 1 : 0;
      if (after && start === 0) throw HeraldError.validation('Unknown cursor', [{ field: 'after', message: 'is not a cursor of this list' }]);
      return { status: 200, body: pageOf(all.slice(start, start + limit + 1), limit, (k) => k.id, presentApiKey) };
    },
    async getApiKey({ principal, params, query }) {
      const k = await deps.store.apiKeys.get(targetAccount(principal, query.account as string | undefined, 'account'), params.keyId!);
      if (!k) throw notFound('API key', params.keyId!);
      return { status: 200, body: presentApiKey(k) };
    },
    async revokeApiKey({ principal, params, query }) {
      const k = await deps.store.apiKeys.revoke(targetAccount(principal, query.account as string | undefined, 'account'), params.keyId!);
      if (!k) throw notFound('API key', params.keyId!);
      return { status: 204 };
    },
  };
}
