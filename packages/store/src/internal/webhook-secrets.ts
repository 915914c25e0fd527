import { HeraldError, type Webhook, type WebhookAuth } from '@herald/core';
import { SecretCipher } from '../secret-cipher.ts';
import { fromJsonText, toJsonText } from './json-value.ts';

/** A webhook's secrets as both stores keep them. */
export interface StoredWebhookSecrets {
  /** The signing secret: `enc:v1:…` with a key, clear text without one. */
  secret: string;
  /** The auth settings: only `{ type }` when the rest is sealed, else the whole object. */
  auth: WebhookAuth;
  /** The auth settings but `type`, encrypted JSON text; absent = `auth` is whole and clear. */
  sealedAuth?: string;
  /** The previous secrets (rotation), JSON text: encrypted with a key, clear without; absent = none. */
  previousSecrets?: string;
  /** The secret headers (name → value), JSON text: encrypted with a key, clear without; absent = none. */
  secretHeaders?: string;
}

type WebhookRef = Pick<Webhook, 'id' | 'account'>;

/**
 * Seals a webhook's `secret`, `auth` settings (all but `type`, which stays readable), previous
 * secrets and secret headers (names and values: one encrypted JSON text) with the
 * store's encryption key before they are stored, and opens them on read. Each value is bound to
 * its webhook and field (the cipher's context), so a value copied onto another webhook does not
 * decrypt there. Without a key values are stored in clear.
 *
 * Reading is lenient in one direction only: a clear value (written before the key was set)
 * reads as it is, and is sealed on the webhook's next write. An encrypted value that cannot be
 * decrypted — another key, no key, altered — is HERALD_CONFIG_INVALID naming the webhook.
 */
export class WebhookSecrets {
  readonly #cipher: SecretCipher | undefined;

  constructor(encryptionKey?: Uint8Array) {
    this.#cipher = encryptionKey === undefined ? undefined : new SecretCipher(encryptionKey);
  }

  seal(webhook: Pick<Webhook, 'id' | 'account' | 'secret' | 'auth' | 'previousSecrets' | 'secretHeaders'>): StoredWebhookSecrets {
    const previous = webhook.previousSecrets?.length
      ? toJsonText(webhook.previousSecrets.map((p) => ({ secret: p.secret, expiresAt: p.expiresAt.toISOString() })))
      : undefined;
    const headers = webhook.secretHeaders && Object.keys(webhook.secretHeaders).length > 0 ? toJsonText(webhook.secretHeaders) : undefined;
    if (!this.#cipher) {
      return {
        secret: webhook.secret, auth: webhook.auth,
        ...(previous === undefined ? {} : { previousSecrets: previous }), ...(headers === undefined ? {} : { secretHeaders: headers }),
      };
    }
    const { type, ...settings } = webhook.auth;
    return {
      secret: this.#cipher.encrypt(webhook.secret, context(webhook, 'secret')),
      auth: { type },
      sealedAuth: this.#cipher.encrypt(toJsonText(settings), context(webhook, 'auth')),
      ...(previous === undefined ? {} : { previousSecrets: this.#cipher.encrypt(previous, context(webhook, 'previous-secrets')) }),
      ...(headers === undefined ? {} : { secretHeaders: this.#cipher.encrypt(headers, context(webhook, 'secret-headers')) }),
    };
  }

  open(webhook: WebhookRef, stored: StoredWebhookSecrets): Pick<Webhook, 'secret' | 'auth' | 'previousSecrets' | 'secretHeaders'> {
    const secret = SecretCipher.isEncrypted(stored.secret) ? this.#decrypt(webhook, 'secret', stored.secret) : stored.secret;
    const out: Pick<Webhook, 'secret' | 'auth' | 'previousSecrets' | 'secretHeaders'> = { secret, auth: stored.auth };
    if (stored.sealedAuth !== undefined) {
      const settings = fromJsonText<Record<string, unknown>>(this.#decrypt(webhook, 'auth', stored.sealedAuth));
      out.auth = { ...settings, type: stored.auth.type };
    }
    if (stored.previousSecrets !== undefined) {
      const text = SecretCipher.isEncrypted(stored.previousSecrets) ? this.#decrypt(webhook, 'previous-secrets', stored.previousSecrets) : stored.previousSecrets;
      out.previousSecrets = fromJsonText<Array<{ secret: string; expiresAt: string }>>(text).map((p) => ({ secret: p.secret, expiresAt: new Date(p.expiresAt) }));
    }
    if (stored.secretHeaders !== undefined) {
      const text = SecretCipher.isEncrypted(stored.secretHeaders) ? this.#decrypt(webhook, 'secret-headers', stored.secretHeaders) : stored.secretHeaders;
      out.secretHeaders = fromJsonText<Record<string, string>>(text);
    }
    return out;
  }

  #decrypt(webhook: WebhookRef, field: SealedField, value: string): string {
    if (!this.#cipher) {
      throw new HeraldError(
        'HERALD_CONFIG_INVALID',
        `The ${field} of webhook ${webhook.id} (account ${webhook.account}) is encrypted, but the store has no encryption key`,
      );
    }
    try {
      return this.#cipher.decrypt(value, context(webhook, field));
    } catch (err) {
      throw new HeraldError(
        'HERALD_CONFIG_INVALID',
        `Cannot decrypt the ${field} of webhook ${webhook.id} (account ${webhook.account}): ` +
          'the encryption key does not match the one it was stored with',
        { cause: err },
      );
    }
  }
}

type SealedField = 'secret' | 'auth' | 'previous-secrets' | 'secret-headers';

function context(webhook: WebhookRef, field: SealedField): string {
  return `herald:webhook:${webhook.account}:${webhook.id}:${field}`;
}
