/**
 * A kafkajs client (producer, admin) connected on first use and shared by every caller after.
 * A failed connection is forgotten, so the next caller tries again.
 */
export class LazyClient<T extends { connect(): Promise<void>; disconnect(): Promise<void> }> {
  private ready: Promise<T> | undefined;

  constructor(private readonly create: () => T) {}

  get(): Promise<T> {
    if (!this.ready) {
      const client = this.create();
      const ready: Promise<T> = client.connect().then(
        () => client,
        async (err: unknown) => {
          if (this.ready === ready) this.ready = undefined;
          await client.disconnect().catch(() => {});
          throw err;
        },
      );
      this.ready = ready;
    }
    return this.ready;
  }

  /** Disconnects the client if it was connected (waiting for a connection under way first). */
  async disconnect(): Promise<void> {
    const ready = this.ready;
    this.ready = undefined;
    if (!ready) return;
    const client = await ready.catch(() => undefined);
    await client?.disconnect();
  }
}
