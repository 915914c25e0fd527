/**
 * A local OAuth2 token endpoint for the tests: a node:http server on 127.0.0.1 that records
 * each request and answers as the test says. Nothing leaves the machine.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The form fields of the body. */
  form: Record<string, string>;
}

export type Answer =
  | { status?: number; json?: unknown; body?: string; headers?: Record<string, string> }
  /** Never answers (for timeouts). */
  | 'hang';

export interface TokenServer {
  /** `http://127.0.0.1:<port>/oauth/token` */
  tokenUrl: string;
  origin: string;
  requests: RecordedRequest[];
  /** How the next requests are answered; by default a fresh token per request, 1 h. */
  answer: (req: RecordedRequest, n: number) => Answer | Promise<Answer>;
  close(): Promise<void>;
}

export async function startTokenServer(): Promise<TokenServer> {
  const sockets = new Set<import('node:net').Socket>();
  const state: TokenServer = {
    tokenUrl: '',
    origin: '',
    requests: [],
    answer: (_req, n) => ({ json: { access_token: `token-${n}`, token_type: 'Bearer', expires_in: 3600 } }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
      };
      state.requests.push(recorded);
      void Promise.resolve(state.answer(recorded, state.requests.length)).then((a) => {
        if (a === 'hang') return;
        const body = a.body ?? (a.json === undefined ? '' : JSON.stringify(a.json));
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
        res.end(body);
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.origin = `http://127.0.0.1:${port}`;
  state.tokenUrl = `${state.origin}/oauth/token`;
  return state;
}
