export * from './plugin.ts';
export { PluginRegistry, type PluginAuth } from '@herald/plugin-kit';
export * from './http-sender.ts';
export * from './standard-webhooks.ts';
export * from './masking.ts';
export * from './ssrf-guard.ts';
