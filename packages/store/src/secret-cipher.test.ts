import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HeraldError } from '@herald/core';
import { SecretCipher } from './secret-cipher.ts';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const FORMAT = /^enc:v1:([A-Za-z0-9+/]+=*):([A-Za-z0-9+/]+=*):([A-Za-z0-9+/]*=*)$/;

function parts(value: string): { iv: Buffer; tag: Buffer; ciphertext: Buffer } {
  const m = FORMAT.exec(value);
  if (!m) throw new Error(`not in the enc:v1 format: ${value}`);
  return { iv: Buffer.from(m[1]!, 'base64'), tag: Buffer.from(m[2]!, 'base64'), ciphertext: Buffer.from(m[3]!, 'base64') };
}

function expectConfigInvalid(fn: () => unknown): HeraldError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(HeraldError);
  expect((thrown as HeraldError).code).toBe('HERALD_CONFIG_INVALID');
  return thrown as HeraldError;
}

describe('SecretCipher', () => {
  it('round-trips text, including empty and non-ASCII text, in the enc:v1 format', () => {
    const cipher = new SecretCipher(KEY);
    for (const plaintext of ['whsec_c2VjcmV0', '', '{"password":"p:ss","ключ":"😀"}', 'x'.repeat(10_000)]) {
      const value = cipher.encrypt(plaintext);
      const { iv, tag, ciphertext } = parts(value);
      expect(iv).toHaveLength(12);
      expect(tag).toHaveLength(16);
      expect(ciphertext).toHaveLength(Buffer.byteLength(plaintext, 'utf8'));
      if (plaintext !== '') expect(value).not.toContain(plaintext);
      expect(cipher.decrypt(value)).toBe(plaintext);
      // another instance with the same key bytes reads it too
      expect(new SecretCipher(Buffer.from(KEY)).decrypt(value)).toBe(plaintext);
    }
  });

  it('uses a fresh IV for every value: the same plaintext never encrypts the same way twice', () => {
    const cipher = new SecretCipher(KEY);
    const values = Array.from({ length: 50 }, () => cipher.encrypt('whsec_same'));
    expect(new Set(values).size).toBe(50);
    expect(new Set(values.map((v) => parts(v).iv.toString('hex'))).size).toBe(50);
    for (const v of values) expect(cipher.decrypt(v)).toBe('whsec_same');
  });

  it('refuses to decrypt with another key, saying the key does not match', () => {
    const value = new SecretCipher(KEY).encrypt('whsec_c2VjcmV0');
    const err = expectConfigInvalid(() => new SecretCipher(OTHER_KEY).decrypt(value));
    expect(err.message).toMatch(/encryption key does not match/);
    expect(err.message).not.toContain('whsec_');
  });

  it('refuses altered values: ciphertext, tag or IV changed, or parts swapped between values', () => {
    const cipher = new SecretCipher(KEY);
    const value = cipher.encrypt('whsec_c2VjcmV0');
    const { iv, tag, ciphertext } = parts(value);
    const flip = (b: Buffer, i: number) => {
      const copy = Buffer.from(b);
      copy[i] = copy[i]! ^ 1;
      return copy;
    };
    const build = (i: Buffer, t: Buffer, c: Buffer) => `enc:v1:${i.toString('base64')}:${t.toString('base64')}:${c.toString('base64')}`;
    expect(cipher.decrypt(build(iv, tag, ciphertext))).toBe('whsec_c2VjcmV0');
    expectConfigInvalid(() => cipher.decrypt(build(iv, tag, flip(ciphertext, 0))));
    expectConfigInvalid(() => cipher.decrypt(build(iv, tag, flip(ciphertext, ciphertext.length - 1))));
    expectConfigInvalid(() => cipher.decrypt(build(iv, flip(tag, 3), ciphertext)));
    expectConfigInvalid(() => cipher.decrypt(build(flip(iv, 5), tag, ciphertext)));
    expectConfigInvalid(() => cipher.decrypt(build(iv, tag, ciphertext.subarray(1))));
    const other = parts(cipher.encrypt('whsec_c2VjcmV0'));
    expectConfigInvalid(() => cipher.decrypt(build(other.iv, tag, ciphertext)));
  });

  it('binds the context: a value decrypts only with the context it was encrypted with', () => {
    const cipher = new SecretCipher(KEY);
    const value = cipher.encrypt('whsec_c2VjcmV0', 'webhook:acc_a:wh_1:secret');
    expect(cipher.decrypt(value, 'webhook:acc_a:wh_1:secret')).toBe('whsec_c2VjcmV0');
    expectConfigInvalid(() => cipher.decrypt(value, 'webhook:acc_a:wh_2:secret'));
    expectConfigInvalid(() => cipher.decrypt(value));
  });

  it('refuses values that are not in the enc:v1 format', () => {
    const cipher = new SecretCipher(KEY);
    const good = cipher.encrypt('x');
    for (const bad of ['whsec_c2VjcmV0', '', 'enc:v1:', 'enc:v2:' + good.slice(7), good + ':extra', good.replace(/:([^:]*)$/, ':!!'), 'enc:v1:AAAA:AAAA:AAAA']) {
      expect(() => cipher.decrypt(bad), bad).toThrow(/Not an encrypted value/);
    }
  });

  it('tells encrypted values from clear ones by their prefix', () => {
    expect(SecretCipher.isEncrypted(new SecretCipher(KEY).encrypt('x'))).toBe(true);
    expect(SecretCipher.isEncrypted('whsec_c2VjcmV0')).toBe(false);
  });

  it('requires a 32-byte key', () => {
    for (const key of [Buffer.alloc(16), Buffer.alloc(31), Buffer.alloc(33), Buffer.alloc(0)]) {
      const err = expectConfigInvalid(() => new SecretCipher(key));
      expect(err.message).toContain(`got ${key.length} bytes`);
    }
    expectConfigInvalid(() => new SecretCipher('a'.repeat(32) as unknown as Buffer));
    expect(() => new SecretCipher(randomBytes(32))).not.toThrow();
    expect(() => new SecretCipher(new Uint8Array(32))).not.toThrow();
  });

  it('keeps its own copy of the key: clearing the caller buffer changes nothing', () => {
    const key = Buffer.from(KEY);
    const cipher = new SecretCipher(key);
    const value = cipher.encrypt('whsec_c2VjcmV0');
    key.fill(0);
    expect(cipher.decrypt(value)).toBe('whsec_c2VjcmV0');
    expect(new SecretCipher(KEY).decrypt(cipher.encrypt('y'))).toBe('y');
  });
});
