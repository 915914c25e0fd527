export * from './default-payload.ts';
