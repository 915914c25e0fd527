/**
 * For component tests: the real config-api of the global setup (test-api.global.ts), an
 * account of this test's own with an admin and a read key, and a render with a signed-in session.
 */
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { inject } from 'vitest';
import { createHeraldClient, type HeraldClient } from '@herald/api-spec/client';
import { I18nProvider, type Locale } from './i18n/index.tsx';
import { SessionProvider, type Session } from './session.tsx';
import { call, consoleClient } from './api.ts';

export interface TestAccount {
  baseUrl: string;
  operatorToken: string;
  operator: HeraldClient;
  accountId: string;
  adminKey: string;
  readKey: string;
  /** A client with the account's admin key, to arrange data through the API. */
  admin: HeraldClient;
}

/** A fresh account on the test API, with an admin and a read key. */
export async function testAccount(name = 'Console test', webhooksEnabled = true): Promise<TestAccount> {
  const { baseUrl, operatorToken } = inject('consoleApi');
  const operator = createHeraldClient({ baseUrl, apiKey: operatorToken });
  const acc = await call(operator.POST('/v1/accounts', { body: { name, webhooksEnabled } }));
  const admin = await call(operator.POST('/v1/api-keys', { body: { account: acc.id, role: 'admin', name: 'admin' } }));
  const read = await call(operator.POST('/v1/api-keys', { body: { account: acc.id, role: 'read', name: 'read' } }));
  return { baseUrl, operatorToken, operator, accountId: acc.id, adminKey: admin.key, readKey: read.key, admin: createHeraldClient({ baseUrl, apiKey: admin.key }) };
}

/** Renders `ui` signed in to `account` with its admin key (or its read key, for role `read`). */
export function renderSignedIn(ui: ReactElement, account: TestAccount, opts: { role?: 'admin' | 'read'; locale?: Locale; webhooksEnabled?: boolean } = {}): RenderResult {
  const role = opts.role ?? 'admin';
  const session: Session = {
    client: consoleClient(role === 'admin' ? account.adminKey : account.readKey, account.baseUrl),
    accountId: account.accountId,
    role,
    webhooksEnabled: opts.webhooksEnabled ?? true,
    viaOperator: false,
    signOut: () => undefined,
  };
  return render(
    <I18nProvider locale={opts.locale ?? 'en'}>
      <SessionProvider session={session}>{ui}</SessionProvider>
    </I18nProvider>,
  );
}
