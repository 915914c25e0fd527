/**
 * The plugin test kit (`@herald/plugin-kit/testing`): test a transport plugin with no network.
 */
import { PluginRegistry } from '../plugin-registry.ts';
import type { OutgoingRequest, PluginContext, TransportPlugin } from '../contract.ts';
import { sampleContext, sampleRequest } from './samples.ts';

export { sampleContext, sampleRequest };

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

/** The field errors the plugin's schema gives for a config (`[]` when it accepts it), as Herald reports them. */
export function configErrors(plugin: TransportPlugin<any>, config: object): { field: string; message: string }[] {
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
export { pluginContract, soundsSecret, CONTRACT_MIN_SECRET_LENGTH, type ContractCheck, type InvalidConfigCase, type PluginContractOptions } from './contract.ts';
