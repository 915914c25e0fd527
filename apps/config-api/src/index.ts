export * from './env.ts';
export * from './app.ts';
export * from './problem.ts';
export * from './main.ts';
export * from './metrics-route.ts';
