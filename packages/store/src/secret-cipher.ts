import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { HeraldError } from '@herald/core';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'enc:v1:';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Encryption at rest for the secrets the store keeps (a webhook's signing secret and auth
 * settings): AES-256-GCM, a random 12-byte IV per value, stored as
 * `enc:v1:<base64 iv>:<base64 tag>:<base64 ciphertext>`.
 *
 * `context` is bound to the ciphertext as additional authenticated data (say, which record and
 * field the value belongs to): a value decrypts only with the key *and* the context it was
 * encrypted with, so a stored value copied onto another record does not decrypt there.
 */
export class SecretCipher {
  readonly #key: KeyObject;

  /** `key`: 32 bytes; anything else fails with HERALD_CONFIG_INVALID. */
  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
      const got = key instanceof Uint8Array ? `${key.length} bytes` : typeof key;
      throw new HeraldError('HERALD_CONFIG_INVALID', `The encryption key must be ${KEY_BYTES} bytes (AES-256), got ${got}`);
    }
    this.#key = createSecretKey(Buffer.from(key));
  }

  /** Whether `value` has the shape of an encrypted value (it may still not decrypt). */
  static isEncrypted(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  encrypt(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ciphertext.toString('base64')}`;
  }

  /**
   * The plaintext of a value `encrypt` made with this key and `context`. Fails with
   * HERALD_CONFIG_INVALID when it is not such a value: another key, another context, altered,
   * or not an `enc:v1:` value at all.
   */
  decrypt(value: string, context = ''): string {
    const parts = SecretCipher.isEncrypted(value) ? value.slice(PREFIX.length).split(':') : [];
    const [iv, tag, ciphertext] = parts.map((p) => (BASE64.test(p) ? Buffer.from(p, 'base64') : undefined));
    if (parts.length !== 3 || iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || ciphertext === undefined) {
      throw new HeraldError('HERALD_CONFIG_INVALID', 'Not an encrypted value (expected enc:v1:<iv>:<tag>:<ciphertext>)');
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new HeraldError(
        'HERALD_CONFIG_INVALID',
        'Cannot decrypt the value: the encryption key does not match the one it was encrypted with (or the value was altered)',
        { cause: err },
      );
    }
  }
}
