import { consumerLagContract } from './consumer-lag.contract.ts';
import { createMemoryBus } from './memory-bus.ts';

let n = 0;
consumerLagContract('memory', () => createMemoryBus(), (prefix) => `${prefix}-${++n}`);
