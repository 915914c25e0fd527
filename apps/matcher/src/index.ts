export * from './env.ts';
export * from './matcher-service.ts';
export * from './match-event.ts';
export * from './account-plans.ts';
export * from './main.ts';
export * from './matcher-app-metrics.ts';
