import { describe, expect, it } from 'vitest';
import type { WebhookAuth } from '@herald/core';
import { WebhookSecrets } from './webhook-secrets.ts';

const KEY = Buffer.alloc(32, 3);
const WEBHOOK = {
  id: 'wh_1',
  account: 'acc_a',
  secret: 'whsec_c2VjcmV0',
  auth: { type: 'basic', username: 'erp-user', password: 'pw-value' } as WebhookAuth,
};

describe('WebhookSecrets', () => {
  it('with a key, keeps only auth.type readable and seals the secret and the other settings', () => {
    const secrets = new WebhookSecrets(KEY);
    const stored = secrets.seal(WEBHOOK);
    expect(stored.auth).toStrictEqual({ type: 'basic' });
    expect(stored.secret).toMatch(/^enc:v1:/);
    expect(stored.sealedAuth).toMatch(/^enc:v1:/);
    expect(JSON.stringify(stored)).not.toMatch(/whsec_|erp-user|pw-value|username|password/);
    expect(secrets.open(WEBHOOK, stored)).toStrictEqual({ secret: WEBHOOK.secret, auth: WEBHOOK.auth });
  });

  it('with a key, seals the secret headers, names and values, bound to their webhook; absent or empty = none stored', () => {
    const secrets = new WebhookSecrets(KEY);
    const webhook = { ...WEBHOOK, secretHeaders: { 'X-Vault-Token': 'vault-value' } };
    const stored = secrets.seal(webhook);
    expect(stored.secretHeaders).toMatch(/^enc:v1:/);
    expect(JSON.stringify(stored)).not.toMatch(/X-Vault-Token|vault-value/);
    expect(secrets.open(WEBHOOK, stored)).toStrictEqual({ secret: WEBHOOK.secret, auth: WEBHOOK.auth, secretHeaders: { 'X-Vault-Token': 'vault-value' } });
    expect(() => secrets.open({ id: 'wh_2', account: 'acc_a' }, { ...secrets.seal({ ...webhook, id: 'wh_2' }), secretHeaders: stored.secretHeaders! })).toThrow(
      /secret-headers of webhook wh_2.*encryption key does not match/,
    );
    expect(secrets.seal({ ...WEBHOOK, secretHeaders: {} })).not.toHaveProperty('secretHeaders');
    // without a key: clear JSON text, read back as it was
    const clear = new WebhookSecrets().seal(webhook);
    expect(clear.secretHeaders).toBe('{"X-Vault-Token":"vault-value"}');
    expect(new WebhookSecrets().open(WEBHOOK, clear).secretHeaders).toStrictEqual({ 'X-Vault-Token': 'vault-value' });
  });

  it('without a key, stores both as they are', () => {
    const stored = new WebhookSecrets().seal(WEBHOOK);
    expect(stored).toStrictEqual({ secret: WEBHOOK.secret, auth: WEBHOOK.auth });
    expect(new WebhookSecrets().open(WEBHOOK, stored)).toStrictEqual({ secret: WEBHOOK.secret, auth: WEBHOOK.auth });
  });

  it('opens the values of one webhook only: sealed for wh_1, they do not open as wh_2 or in another account', () => {
    const secrets = new WebhookSecrets(KEY);
    const stored = secrets.seal(WEBHOOK);
    expect(() => secrets.open({ id: 'wh_2', account: 'acc_a' }, stored)).toThrow(/webhook wh_2 \(account acc_a\).*encryption key does not match/);
    expect(() => secrets.open({ id: 'wh_1', account: 'acc_b' }, stored)).toThrow(/encryption key does not match/);
    // the sealed auth does not open as the secret either
    expect(() => secrets.open(WEBHOOK, { ...stored, secret: stored.sealedAuth! })).toThrow(/secret of webhook wh_1/);
  });

  it('names the field and the webhook when there is no key for an encrypted value', () => {
    const stored = new WebhookSecrets(KEY).seal(WEBHOOK);
    expect(() => new WebhookSecrets().open(WEBHOOK, stored)).toThrow(
      expect.objectContaining({ code: 'HERALD_CONFIG_INVALID', message: expect.stringMatching(/secret of webhook wh_1 .*no encryption key/) }),
    );
    expect(() => new WebhookSecrets().open(WEBHOOK, { ...stored, secret: 'whsec_clear' })).toThrow(/auth of webhook wh_1/);
  });
});
