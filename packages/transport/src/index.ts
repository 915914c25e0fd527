export * from './plugin.ts';
export * from './plugin-registry.ts';
export * from './http-sender.ts';
export * from './standard-webhooks.ts';
export * from './masking.ts';
export * from './ssrf-guard.ts';
