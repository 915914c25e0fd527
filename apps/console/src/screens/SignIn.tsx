import { useState, type FormEvent } from 'react';
import { call, consoleClient, ApiError } from '../api.ts';
import { useT } from '../i18n/index.tsx';
import { ErrorMessage, Field } from '../components/ui.tsx';
import type { Session } from '../session.tsx';

type Mode = 'account' | 'operator';
type Account = { id: string; name: string; webhooksEnabled: boolean };

/**
 * Signing in: an account API key, or the operator token and then an account (the console
 * makes an admin key for the session and revokes it on sign-out). Nothing is stored but in
 * this component's state and the session object.
 */
export function SignIn({ onSignedIn, apiBase }: { onSignedIn(s: Omit<Session, 'signOut'>, revoke?: () => Promise<void>): void; /** The API's origin; the page's own by default. */ apiBase?: string }) {
  const t = useT();
  const [mode, setMode] = useState<Mode>('account');
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [chosen, setChosen] = useState('');

  async function signIn(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    setError(null);
    setBusy(true);
    try {
      const client = consoleClient(token.trim(), apiBase);
      const me = await call(client.GET('/v1/me'));
      if (mode === 'account') {
        if (me.kind === 'operator') return setProblem(t('signin.notAccountKey'));
        if (me.kind === 'ingest') return setProblem(t('signin.ingest'));
        onSignedIn({ client, accountId: me.accountId!, role: me.role!, webhooksEnabled: me.webhooksEnabled ?? true, viaOperator: false });
        return;
      }
      if (me.kind !== 'operator') return setProblem(me.kind === 'ingest' ? t('signin.ingest') : t('signin.badKey'));
      const list: Account[] = [];
      let after: string | undefined;
      do {
        const page = await call(client.GET('/v1/accounts', { params: { query: { limit: 100, ...(after ? { after } : {}) } } }));
        list.push(...page.data);
        after = page.nextCursor ?? undefined;
      } while (after && list.length < 1000);
      setAccounts(list);
      setChosen(list[0]?.id ?? '');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setProblem(t('signin.badKey'));
      else setError(err as Error);
    } finally {
      setBusy(false);
    }
  }

  async function openAccount(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const operator = consoleClient(token.trim(), apiBase);
      const account = accounts!.find((a) => a.id === chosen)!;
      const created = await call(operator.POST('/v1/api-keys', { body: { account: account.id, role: 'admin', name: 'Herald console session' } }));
      const client = consoleClient(created.key, apiBase);
      onSignedIn({ client, accountId: account.id, role: 'admin', webhooksEnabled: account.webhooksEnabled, viaOperator: true }, async () => {
        await call(operator.DELETE('/v1/api-keys/{keyId}', { params: { path: { keyId: created.id }, query: { account: account.id } } }));
      });
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <h1>{t('signin.title')}</h1>
      <fieldset className="mode" disabled={accounts !== null}>
        <legend className="visually-hidden">{t('signin.title')}</legend>
        <label>
          <input type="radio" name="mode" checked={mode === 'account'} onChange={() => setMode('account')} /> {t('signin.asAccount')}
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'operator'} onChange={() => setMode('operator')} /> {t('signin.asOperator')}
        </label>
      </fieldset>
      <p>{mode === 'account' ? t('signin.intro') : t('signin.operatorIntro')}</p>
      {accounts === null ? (
        <form onSubmit={signIn}>
          <Field label={mode === 'account' ? t('signin.apiKey') : t('signin.operator')} error={problem ?? undefined}>
            {(p) => <input {...p} type="password" autoComplete="off" required value={token} onChange={(e) => setToken(e.target.value)} />}
          </Field>
          <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
            {t('signin.submit')}
          </button>
        </form>
      ) : accounts.length === 0 ? (
        <p role="status">{t('signin.noAccounts')}</p>
      ) : (
        <form onSubmit={openAccount}>
          <Field label={t('signin.account')}>
            {(p) => (
              <select {...p} value={chosen} onChange={(e) => setChosen(e.target.value)}>
                {accounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.id})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" className="primary" disabled={busy}>
            {t('signin.chooseAccount')}
          </button>
        </form>
      )}
      {error ? <ErrorMessage error={error} /> : null}
    </main>
  );
}
