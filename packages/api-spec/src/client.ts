import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/openapi.ts';

export interface HeraldClientOptions {
  /** Where the config-api listens, e.g. `http://127.0.0.1:8080` (no `/v1`: the paths carry it). */
  baseUrl: string;
  /** The operator token, the ingest token or an account API key; sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** A fetch to use instead of the global one (tests, proxies, retries). */
  fetch?: (input: Request) => Promise<Response>;
}

/** A client of the Herald API, typed by the spec: paths, parameters, bodies and answers. */
export type HeraldClient = Client<paths>;

/**
 * A typed client of the Herald API (openapi-fetch). Every call answers `{ data, error, response }`:
 * `data` on a 2xx, `error` (a `Problem`) otherwise.
 *
 * ```ts
 * const herald = createHeraldClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: myAccountKey });
 * const { data, error } = await herald.POST('/v1/webhooks', { body: { name: 'ERP', url: 'https://erp.example.com/hook' } });
 * ```
 */
export function createHeraldClient(options: HeraldClientOptions): HeraldClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
