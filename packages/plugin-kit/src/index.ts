/**
 * `@herald/plugin-kit`: what a Herald transport plugin is written against — the contract
 * (`TransportPlugin`, `defineTransportPlugin`, `TRANSPORT_CONTRACT_VERSION`), the checks Herald
 * runs when it loads a plugin and when a webhook is saved (`PluginRegistry`), log and API masking,
 * and Herald's SSRF guard. The test kit is `@herald/plugin-kit/testing`. See docs/plugins.md.
 */
export * from './contract.ts';
export * from './masking.ts';
export * from './plugin-registry.ts';
export * from './target-guard.ts';
