import type { OutgoingRequest, PluginContext } from '../contract.ts';

/** A request as Herald hands it to a plugin (a fresh copy each call). */
export function sampleRequest(overrides: Partial<OutgoingRequest> = {}): OutgoingRequest {
  return {
    url: 'https://example.invalid/hooks',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Herald/test' },
    body: '{"entity_id":"1042"}',
    ...overrides,
  };
}

export const sampleContext: PluginContext = { webhookId: 'wh_test', account: 'acc_test' };
