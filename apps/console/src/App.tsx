import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { LOCALE_NAMES, LOCALES, useI18n, type Locale } from './i18n/index.tsx';
import { SessionProvider, type Session } from './session.tsx';
import { SignIn } from './screens/SignIn.tsx';
import { WebhooksScreen } from './screens/Webhooks.tsx';
import { SchemasScreen } from './screens/Schemas.tsx';
import { RulesScreen } from './screens/Rules.tsx';
import { LogScreen } from './screens/Log.tsx';

export type ScreenKey = 'webhooks' | 'schemas' | 'rules' | 'log';
const SCREENS: ScreenKey[] = ['webhooks', 'schemas', 'rules', 'log'];

/** The route is in the hash (`#/log?webhookId=wh_…`): never the key, only where the user is. */
export interface Route {
  screen: ScreenKey;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const screen = (SCREENS as string[]).includes(path) ? (path as ScreenKey) : 'webhooks';
  return { screen, params: new URLSearchParams(query) };
}

export function navigate(screen: ScreenKey, params?: Record<string, string>): void {
  const q = params ? new URLSearchParams(params).toString() : '';
  window.location.hash = `#/${screen}${q ? `?${q}` : ''}`;
}

function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return parseRoute(hash);
}

function LanguagePicker() {
  const { t, locale, setLocale } = useI18n();
  return (
    <label className="language">
      {t('common.language')}{' '}
      <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LOCALE_NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}

function Shell({ session, children, route }: { session: Session; children: ReactNode; route: Route }) {
  const { t } = useI18n();
  const mainRef = useRef<HTMLElement>(null);
  useEffect(() => {
    document.title = `${t(`nav.${route.screen}`)} · ${t('app.title')}`;
  }, [route.screen, t]);
  return (
    <div className="shell">
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); mainRef.current?.focus(); }}>
        {t('nav.label')}
      </a>
      <header className="topbar">
        <span className="brand">{t('app.title')}</span>
        <span className="who">{t('common.signedInAs', { account: session.accountId, role: session.role })}</span>
        <LanguagePicker />
        <button type="button" onClick={session.signOut}>
          {t('common.signOut')}
        </button>
      </header>
      <nav className="sidebar" aria-label={t('nav.label')}>
        <ul>
          {SCREENS.map((s) => (
            <li key={s}>
              <a href={`#/${s}`} aria-current={route.screen === s ? 'page' : undefined}>
                {t(`nav.${s}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} className="content">
        {session.role === 'read' ? <p className="notice">{t('common.readOnly')}</p> : null}
        {session.webhooksEnabled ? children : <p className="notice notice-warning" role="alert">{t('errors.planOff')}</p>}
      </main>
    </div>
  );
}

export function App() {
  const { t } = useI18n();
  const [session, setSession] = useState<Session | null>(null);
  const route = useRoute();
  const onSignedIn = useCallback((s: Omit<Session, 'signOut'>, revoke?: () => Promise<void>) => {
    setSession({
      ...s,
      signOut: () => {
        void revoke?.().catch(() => undefined);
        setSession(null);
      },
    });
  }, []);
  useEffect(() => {
    if (!session) document.title = `${t('signin.title')} · ${t('app.title')}`;
  }, [session, t]);
  if (!session) {
    return (
      <div className="signin-page">
        <header className="topbar">
          <span className="brand">{t('app.title')}</span>
          <LanguagePicker />
        </header>
        <SignIn onSignedIn={onSignedIn} />
      </div>
    );
  }
  const screen =
    route.screen === 'schemas' ? <SchemasScreen /> : route.screen === 'rules' ? <RulesScreen /> : route.screen === 'log' ? <LogScreen params={route.params} /> : <WebhooksScreen />;
  return (
    <SessionProvider session={session}>
      <Shell session={session} route={route}>
        {screen}
      </Shell>
    </SessionProvider>
  );
}
