export * from './logger.ts';
export * from './env.ts';
export * from './health-server.ts';
export * from './shutdown.ts';
export * from './plugins.ts';
export * from './app-main.ts';
export * from './event-data-validator.ts';
export * from './ttl-cache.ts';
