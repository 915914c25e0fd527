export { busContract, type BusContractOptions, type BusUnderTest } from '../bus.contract.ts';
export { waitUntil } from './wait-until.ts';
