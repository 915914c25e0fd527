import { createContext, useContext, type ReactNode } from 'react';
import type { HeraldClient } from '@herald/api-spec/client';

/** Who is signed in. The key lives in this object only (memory of this tab), never in a URL or storage. */
export interface Session {
  client: HeraldClient;
  accountId: string;
  role: 'admin' | 'read';
  /** false when the account's plan switch is off: the webhook screens show a message instead. */
  webhooksEnabled: boolean;
  /** Signed in through the operator token: the console made this key and revokes it on sign-out. */
  viaOperator: boolean;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** Whether the session may change things; a `read` key may not. */
export function useCanWrite(): boolean {
  return useSession().role === 'admin';
}
