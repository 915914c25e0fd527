import { describe, expect, it } from 'vitest';
import { createHeraldClient, type Problem, type Webhook, type WebhookCreate } from './index.ts';

const webhook: Webhook = {
  id: 'wh_01M7W3NW42V6DGZHBKVHF8WXKM',
  name: 'ERP',
  description: '',
  url: 'https://erp.example.com/hook',
  method: 'POST',
  active: true,
  eventTypes: ['ticket.priority_changed'],
  auth: { type: 'bearer', token: '********' },
  headers: {},
  secret: 'whsec_********',
  dedupWindowSeconds: 60,
  createdAt: '2026-11-20T09:12:00Z',
  updatedAt: '2026-11-20T09:12:00Z',
};

function recordingFetch(answer: () => Response) {
  const requests: Request[] = [];
  return {
    requests,
    fetch: async (request: Request) => {
      requests.push(request);
      return answer();
    },
  };
}

describe('createHeraldClient', () => {
  it('sends the API key as a bearer token to the typed path, with the JSON body', async () => {
    const f = recordingFetch(() => Response.json(webhook, { status: 201 }));
    const herald = createHeraldClient({ baseUrl: 'http://herald.test:8080/', apiKey: 'hk_secret', fetch: f.fetch });
    const body: WebhookCreate = { name: 'ERP', url: 'https://erp.example.com/hook', eventTypes: ['ticket.priority_changed'], auth: { type: 'bearer', token: 'abc' } };
    const { data, error, response } = await herald.POST('/v1/webhooks', { body });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    expect(data?.id).toBe(webhook.id);
    const [request] = f.requests;
    expect(request?.url).toBe('http://herald.test:8080/v1/webhooks');
    expect(request?.method).toBe('POST');
    expect(request?.headers.get('authorization')).toBe('Bearer hk_secret');
    expect(await request?.json()).toEqual(body);
  });

  it('fills path and query parameters', async () => {
    const f = recordingFetch(() => Response.json({ data: [webhook], nextCursor: null }));
    const herald = createHeraldClient({ baseUrl: 'http://herald.test', apiKey: 'k', fetch: f.fetch });
    const { data } = await herald.GET('/v1/webhooks', { params: { query: { active: true, eventType: 'ticket.priority_changed', limit: 10 } } });
    expect(data?.data[0]?.name).toBe('ERP');
    expect(f.requests[0]?.url).toBe('http://herald.test/v1/webhooks?active=true&eventType=ticket.priority_changed&limit=10');
    await herald.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: webhook.id } }, body: { projects: null } });
    expect(f.requests[1]?.url).toBe(`http://herald.test/v1/webhooks/${webhook.id}`);
    expect(f.requests[1]?.method).toBe('PATCH');
  });

  it('answers a problem+json error as a typed Problem', async () => {
    const problem: Problem = { type: 'about:blank', title: 'Not Found', status: 404, detail: `No webhook ${webhook.id}`, code: 'HERALD_NOT_FOUND' };
    const f = recordingFetch(() => new Response(JSON.stringify(problem), { status: 404, headers: { 'content-type': 'application/problem+json' } }));
    const herald = createHeraldClient({ baseUrl: 'http://herald.test', apiKey: 'k', fetch: f.fetch });
    const { data, error } = await herald.GET('/v1/webhooks/{webhookId}', { params: { path: { webhookId: webhook.id } } });
    expect(data).toBeUndefined();
    const detail: string | undefined = error?.detail;
    expect(detail).toBe(problem.detail);
    expect(error?.code).toBe('HERALD_NOT_FOUND');
  });
});
