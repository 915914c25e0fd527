import { kafkaBrokers, uniqueName } from '../../../test/services.ts';
import { consumerLagContract } from './consumer-lag.contract.ts';
import { createKafkaBus } from './kafka-bus.ts';

consumerLagContract('kafka', () => createKafkaBus({ brokers: kafkaBrokers(), clientId: uniqueName('herald-lag-test'), topicPrefix: 'herald-bus-test.' }), uniqueName, 30_000);
