import { useCallback, useEffect, useRef, useState } from 'react';
import { createHeraldClient, type HeraldClient } from '@herald/api-spec/client';
import type { components } from '@herald/api-spec';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

/** An answer that is not a 2xx: the API's problem+json, kept whole for the screens. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
  /** The message of the field at this JSON Pointer (e.g. `/url`), or of a field under it. */
  fieldError(pointer: string): string | undefined {
    const errors = this.problem?.errors ?? [];
    return (errors.find((e) => e.field === pointer) ?? errors.find((e) => e.field.startsWith(`${pointer}/`)))?.message;
  }
}

/** Herald could not be reached at all. */
export class NetworkError extends Error {}

/** The console talks to the API of the origin it was served from. */
export function consoleClient(apiKey: string, baseUrl?: string): HeraldClient {
  return createHeraldClient({ baseUrl: baseUrl ?? window.location.origin, apiKey });
}

/** Unwraps an openapi-fetch answer: its data, or an ApiError / NetworkError thrown. */
export async function call<T>(promise: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await promise;
  } catch (err) {
    throw new NetworkError((err as Error).message);
  }
  if (!r.response.ok) throw new ApiError(r.response.status, r.error as Problem | undefined);
  return r.data as T;
}

export type Load<T> =
  | { state: 'loading'; reload(): void }
  | { state: 'error'; error: Error; reload(): void }
  | { state: 'ready'; data: T; reload(): void };

/** Loads something when the dependencies change; `reload()` loads it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Load<T> {
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<{ state: 'loading' } | { state: 'error'; error: Error } | { state: 'ready'; data: T }>({ state: 'loading' });
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    let live = true;
    setState((s) => (s.state === 'ready' ? s : { state: 'loading' }));
    loadRef.current().then(
      (data) => live && setState({ state: 'ready', data }),
      (error: Error) => live && setState({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, ...deps]);
  return { ...state, reload } as Load<T>;
}
