import { createMemoryStore, internalReopenMemoryStore, internalStoredWebhook } from './memory/memory-store.ts';
import { storeContract } from './store.contract.ts';

storeContract('memory', async (options) => {
  const store = createMemoryStore(options);
  return {
    store,
    reopen: async (other) => internalReopenMemoryStore(store, other),
    rawWebhook: async (s, account, id) => {
      const stored = internalStoredWebhook(s, account, id);
      return stored ? JSON.stringify(stored) : null;
    },
  };
});
