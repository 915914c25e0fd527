export * from './dev.ts';
export * from './seed-file.ts';
export * from './demo-receiver.ts';
