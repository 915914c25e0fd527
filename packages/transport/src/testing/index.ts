/**
 * The plugin test kit (`@herald/transport/testing`): test a transport plugin with no network.
 */
import { PluginRegistry } from '../plugin-registry.ts';
import type { OutgoingRequest, PluginContext, TransportPlugin } from '../plugin.ts';

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

/**
 * Registers the plugin in a fresh registry (so the same load-time checks run as in Herald),
 * validates the config against its schema, and applies it to a sample request.
 */
export async function applyPlugin<C extends object>(
  plugin: TransportPlugin<C>,
  config: C,
  request: OutgoingRequest = sampleRequest(),
  context: PluginContext = sampleContext,
): Promise<OutgoingRequest> {
  const registry = new PluginRegistry();
  registry.register(plugin);
  registry.validateAuth({ type: plugin.id, ...config });
  return plugin.apply(structuredClone(request), config, context);
}

/** Throws unless the config is refused by the plugin's schema; returns the field errors. */
export function configErrors(plugin: TransportPlugin<any>, config: Record<string, unknown>): { field: string; message: string }[] {
  const registry = new PluginRegistry();
  registry.register(plugin);
  try {
    registry.validateAuth({ type: plugin.id, ...config });
  } catch (err) {
    return (err as { errors: { field: string; message: string }[] }).errors;
  }
  return [];
}

export { PluginRegistry };
