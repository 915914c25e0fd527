export * from './send-attempt.ts';
