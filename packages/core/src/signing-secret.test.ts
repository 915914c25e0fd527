import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64ByteLength, SIGNING_SECRET_RULE, signingSecretProblem } from './signing-secret.ts';

const secretOf = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

describe('the signing secret rule: whsec_ + standard base64 of 24 to 64 bytes', () => {
  it('accepts 24 to 64 bytes, and nothing shorter or longer', () => {
    for (let n = 0; n <= 70; n++) {
      for (let i = 0; i < 5; i++) {
        expect(signingSecretProblem(secretOf(n)), `${n} bytes`).toBe(n >= 24 && n <= 64 ? undefined : SIGNING_SECRET_RULE);
      }
    }
  });

  it.each([
    ['whsec_0', 'not base64 (one character)'],
    ['whsec_AA==', 'one byte'],
    [`whsec_${Buffer.alloc(3, 1).toString('base64')}`, 'three bytes'],
    [`whsec_${Buffer.alloc(65, 1).toString('base64')}`, '65 bytes'],
    [`whsec_${Buffer.alloc(25, 1).toString('base64').replace(/=+$/, '')}`, '25 bytes without their padding'],
    [`whsec_${Buffer.alloc(26, 1).toString('base64')}==`, 'too much padding'],
    [`whsec_${Buffer.alloc(24, 1).toString('base64url').replace(/A/g, '-')}_`, 'base64url, not standard base64'],
    [`whsec_${Buffer.alloc(24, 1).toString('base64')} `, 'a trailing space'],
    [`whsec_${Buffer.alloc(24, 1).toString('base64')}\n`, 'a trailing line feed'],
    [Buffer.alloc(32, 1).toString('base64'), 'no whsec_ prefix'],
    [`WHSEC_${Buffer.alloc(32, 1).toString('base64')}`, 'the prefix in capitals'],
    // 25 bytes end in one character and `==`: that character carries 2 bits, the other 4 must be 0.
    [`whsec_${Buffer.alloc(25, 1).toString('base64').replace(/.==$/, 'B==')}`, 'stray bits before the padding'],
  ])('refuses %j (%s)', (secret) => {
    expect(signingSecretProblem(secret)).toBe(SIGNING_SECRET_RULE);
  });

  it('says the rule', () => {
    expect(SIGNING_SECRET_RULE).toMatch(/whsec_/);
    expect(SIGNING_SECRET_RULE).toMatch(/base64/);
    expect(SIGNING_SECRET_RULE).toMatch(/24 to 64/);
  });

  it('counts the bytes of canonical base64 only', () => {
    expect(base64ByteLength('')).toBe(0);
    expect(base64ByteLength('AAAA')).toBe(3);
    expect(base64ByteLength('AA==')).toBe(1);
    expect(base64ByteLength('AAA=')).toBe(2);
    expect(base64ByteLength('AB==')).toBeUndefined();
    expect(base64ByteLength('AAB=')).toBeUndefined();
    expect(base64ByteLength('AAA')).toBeUndefined();
    expect(base64ByteLength('A===')).toBeUndefined();
  });
});
