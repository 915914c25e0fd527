import { HeraldError, newId } from '@herald/core';
import type { OperationHandler } from '../openapi-router.ts';
import { pageOf, presentAccount } from '../presenters.ts';
import { notFound, publishConfigChange, type ApiDeps } from './context.ts';

export function accountHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  return {
    async createAccount({ body }) {
      const b = body as { id?: string; name: string; webhooksEnabled?: boolean };
      const now = new Date();
      const account = { id: b.id ?? newId('acc'), name: b.name, webhooksEnabled: b.webhooksEnabled ?? true, createdAt: now, updatedAt: now };
      try {
        await deps.store.accounts.create(account);
      } catch (err) {
        if ((err as { code?: string }).code === 'HERALD_CONFLICT') {
          throw new HeraldError('HERALD_CONFLICT', `An account ${account.id} exists already`, { errors: [{ field: '/id', message: 'is taken' }] });
        }
        throw err;
      }
      // A matcher may have seen (and cached) events of this account before it existed.
      await publishConfigChange(deps, { kind: 'account', account: account.id, id: account.id });
      return { status: 201, body: presentAccount(account) };
    },
    async listAccounts({ query }) {
      const limit = (query.limit as number | undefined) ?? 20;
      const items = await deps.store.accounts.list({ limit: limit + 1, ...(query.after ? { after: query.after as string } : {}) });
      return { status: 200, body: pageOf(items, limit, (a) => a.id, presentAccount) };
    },
    async getAccount({ params, principal }) {
      if (principal?.kind === 'account' && principal.account !== params.accountId) throw notFound('account', params.accountId!);
      const a = await deps.store.accounts.get(params.accountId!);
      if (!a) throw notFound('account', params.accountId!);
      return { status: 200, body: presentAccount(a) };
    },
    async updateAccount({ params, body }) {
      const a = await deps.store.accounts.update(params.accountId!, body as { name?: string; webhooksEnabled?: boolean });
      if (!a) throw notFound('account', params.accountId!);
      await publishConfigChange(deps, { kind: 'account', account: a.id, id: a.id });
      return { status: 200, body: presentAccount(a) };
    },
  };
}
