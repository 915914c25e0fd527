import { beforeAll, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { I18nProvider } from '../i18n/index.tsx';
import { testAccount, type TestAccount } from '../testing.tsx';
import { SignIn } from './SignIn.tsx';

let t: TestAccount;
beforeAll(async () => {
  t = await testAccount();
});

function renderSignIn() {
  const onSignedIn = vi.fn();
  render(
    <I18nProvider locale="en">
      <SignIn onSignedIn={onSignedIn} apiBase={t.baseUrl} />
    </I18nProvider>,
  );
  return onSignedIn;
}

describe('SignIn', () => {
  it('signs in with an account key: the account and the role come from GET /v1/me', async () => {
    const onSignedIn = renderSignIn();
    await userEvent.type(screen.getByLabelText('API key', { exact: true }), t.readKey);
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    expect(onSignedIn.mock.calls[0]![0]).toMatchObject({ accountId: t.accountId, role: 'read', webhooksEnabled: true, viaOperator: false });
  });

  it('says so beside the field when the key is unknown', async () => {
    const onSignedIn = renderSignIn();
    await userEvent.type(screen.getByLabelText('API key', { exact: true }), 'hk_not-a-real-key');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('This key is not valid (unknown or revoked).')).toBeTruthy();
    expect(screen.getByLabelText('API key', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it('with the operator token, lists the accounts and opens one with a session key it can revoke', async () => {
    const onSignedIn = renderSignIn();
    await userEvent.click(screen.getByLabelText('I am the operator'));
    await userEvent.type(screen.getByLabelText('Operator token'), t.operatorToken);
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const select = await screen.findByLabelText('Account');
    await userEvent.selectOptions(select, t.accountId);
    await userEvent.click(screen.getByRole('button', { name: 'Open account' }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    const [session, revoke] = onSignedIn.mock.calls[0]!;
    expect(session).toMatchObject({ accountId: t.accountId, role: 'admin', viaOperator: true });
    const activeKeys = async () =>
      (await t.operator.GET('/v1/api-keys', { params: { query: { account: t.accountId } } })).data!.data.filter((k) => k.revokedAt === null).map((k) => k.name);
    expect(await activeKeys()).toContain('Herald console session');
    await revoke();
    expect(await activeKeys()).not.toContain('Herald console session');
  });

  it('keeps the key out of storage', async () => {
    const onSignedIn = renderSignIn();
    await userEvent.type(screen.getByLabelText('API key', { exact: true }), t.adminKey);
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalled());
    const stored = [...Object.values(localStorage), ...Object.values(sessionStorage), document.cookie, window.location.href].join(' ');
    expect(stored).not.toContain(t.adminKey);
  });
});
