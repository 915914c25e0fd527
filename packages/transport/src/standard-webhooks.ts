import { createHmac, randomBytes } from 'node:crypto';
import { HeraldError } from '@herald/core';

/** A new Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function secretBytes(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) {
    throw new HeraldError('HERALD_VALIDATION', 'A signing secret must start with whsec_', { errors: [{ field: '/secret', message: 'must start with whsec_' }] });
  }
  const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (bytes.length < 16 || bytes.length > 64) {
    throw new HeraldError('HERALD_VALIDATION', 'A signing secret must hold 16 to 64 bytes', { errors: [{ field: '/secret', message: 'must be whsec_ followed by 16 to 64 base64 bytes' }] });
  }
  return bytes;
}

/**
 * The `webhook-signature` value of the Standard Webhooks spec for one or more secrets
 * (several during a rotation's overlap): `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
 * space separated.
 */
export function signStandardWebhook(secrets: string[], messageId: string, timestampSeconds: number, body: string): string {
  const content = `${messageId}.${timestampSeconds}.${body}`;
  return secrets.map((s) => `v1,${createHmac('sha256', secretBytes(s)).update(content).digest('base64')}`).join(' ');
}

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function standardWebhookHeaders(secrets: string[], messageId: string, body: string, now: Date = new Date()): SignatureHeaders {
  const ts = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(ts),
    'webhook-signature': signStandardWebhook(secrets, messageId, ts, body),
  };
}
