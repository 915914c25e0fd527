import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { signingSecretProblem } from '@herald/core';
import { newSigningSecret, signStandardWebhook, standardWebhookHeaders } from './standard-webhooks.ts';

describe('Standard Webhooks signing', () => {
  it('is verified by the public standardwebhooks library', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const body = JSON.stringify({ entity_id: '1042', title: 'Ünïcode "quoted"' });
    const headers = standardWebhookHeaders([secret], 'dlv_1', body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('generates secrets that the API accepts: whsec_ + standard base64 of 24 to 64 bytes', () => {
    for (let i = 0; i < 200; i++) {
      const secret = newSigningSecret();
      expect(signingSecretProblem(secret), secret).toBeUndefined();
    }
  });

  it('fails verification for another secret or a changed body', () => {
    const secret = newSigningSecret();
    const headers = standardWebhookHeaders([secret], 'dlv_1', '{"a":1}');
    expect(() => new Webhook(newSigningSecret()).verify('{"a":1}', { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify('{"a":2}', { ...headers })).toThrow();
  });

  it('signs with every secret during a rotation, and each verifies', () => {
    const [oldS, newS] = [newSigningSecret(), newSigningSecret()];
    const headers = standardWebhookHeaders([newS, oldS], 'dlv_2', '{}');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldS).verify('{}', { ...headers })).not.toThrow();
    expect(() => new Webhook(newS).verify('{}', { ...headers })).not.toThrow();
  });

  it('matches the spec test vector', () => {
    // From the Standard Webhooks specification's example.
    const sig = signStandardWebhook(
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('refuses a secret without the whsec_ prefix', () => {
    expect(() => signStandardWebhook(['abc'], 'm', 1, '')).toThrow(/whsec_/);
  });
});
