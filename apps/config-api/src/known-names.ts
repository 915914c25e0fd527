/**
 * Names found to exist (accounts, event types), remembered for `ttlMs`, at most `max` of them
 * (the oldest goes first). Only a positive answer is kept: a name not found is asked again next
 * time, so that an account or a type created a moment ago — through this config-api or another
 * instance — is known at once. Neither accounts nor event types are ever deleted (an archived
 * type stays in the catalog), so a remembered name cannot turn wrong; the TTL is a backstop.
 */
export class KnownNames {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly exists: (name: string) => Promise<boolean>,
    private readonly ttlMs = 300_000,
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the name exists: from memory when it was found lately, else from `exists`. */
  async has(name: string): Promise<boolean> {
    const at = this.#seen.get(name);
    if (at !== undefined && this.now() - at < this.ttlMs) return true;
    const found = await this.exists(name);
    if (found) this.remember(name);
    else this.#seen.delete(name);
    return found;
  }

  /** Records a name the caller found to exist. */
  remember(name: string): void {
    this.#seen.delete(name);
    if (this.#seen.size >= this.max) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(name, this.now());
  }
}
