export * from './env.ts';
export * from './matcher-service.ts';
export * from './match-event.ts';
export * from './webhook-cache.ts';
export * from './main.ts';
