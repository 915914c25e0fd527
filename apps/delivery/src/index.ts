export * from './env.ts';
export * from './delivery-service.ts';

export * from './delivery-job.ts';
export * from './work-limiter.ts';
export * from './retention-sweeper.ts';
export * from './main.ts';
