export * from './env.ts';
export * from './delivery-service.ts';
export * from './send-attempt.ts';

export * from './delivery-job.ts';
export * from './work-limiter.ts';
export * from './main.ts';
