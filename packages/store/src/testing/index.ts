/** The store contract suite, for other Store implementations (`@herald/store/testing`). */
export { storeContract, type StoreOptions, type StoreUnderTest } from '../store.contract.ts';
