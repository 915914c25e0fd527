import { hash, randomBytes } from 'node:crypto';

/** Crockford base32, as ULID uses: sortable, no ambiguous letters. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeBytes(bytes: Uint8Array, chars: number): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

export type IdPrefix = 'evt' | 'acc' | 'key' | 'wh' | 'sch' | 'rg' | 'rl' | 'dlv' | 'att' | 'prj' | 'et';

/** A new time-sortable id (ULID layout) with a type prefix: `wh_01JD…`. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${encodeTime(now)}${encodeBytes(randomBytes(10), 16)}`;
}

/**
 * The delivery id of (event, webhook, schema). Derived, never random: a job produced twice
 * (a replayed Kafka batch, an event posted twice) lands on the same delivery.
 */
export function deliveryIdFor(eventId: string, webhookId: string, schemaId: string | null): string {
  // crypto.hash (one shot, Node >= 20.12) is about twice as fast as createHash for short inputs,
  // and the matcher derives one id per target of every event.
  const digest = hash('sha256', `${eventId}\u0000${webhookId}\u0000${schemaId ?? ''}`, 'buffer');
  return `dlv_${encodeBytes(digest, 26)}`;
}
