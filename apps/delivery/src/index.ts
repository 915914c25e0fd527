export * from './env.ts';
export * from './delivery-service.ts';

export * from './delivery-job.ts';
export * from './work-limiter.ts';
export * from './work-slots.ts';
export * from './webhook-gates.ts';
export * from './endpoint-health.ts';
export * from './retention-sweeper.ts';
export * from './main.ts';
export * from './delivery-app-metrics.ts';
