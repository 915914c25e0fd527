import { createMemoryStore, internalReopenMemoryStore } from './memory/memory-store.ts';
import { storeContract } from './store.contract.ts';

storeContract('memory', async (options) => {
  const store = createMemoryStore(options);
  return { store, reopen: async (other) => internalReopenMemoryStore(store, other) };
});
