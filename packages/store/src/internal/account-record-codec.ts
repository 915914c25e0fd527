import type { AccountRecord } from '../repositories.ts';
import { fromJsonText, toJsonText } from './json-value.ts';

/**
 * How both stores keep an account record: its id, account and dates as fields, everything else
 * as one JSON text (templates and condition values are free-form: keys with `.` or `$`, nested
 * arrays; see json-value.ts). The memory store keeps the same text, so both give back the same.
 */
export interface EncodedAccountRecord {
  id: string;
  account: string;
  data: string;
  createdAt: Date;
  updatedAt: Date;
}

export function encodeAccountRecord<T extends AccountRecord>(record: T): EncodedAccountRecord {
  const { id, account, createdAt, updatedAt, ...rest } = record;
  return { id, account, data: toJsonText(rest), createdAt: new Date(createdAt.getTime()), updatedAt: new Date(updatedAt.getTime()) };
}

export function decodeAccountRecord<T extends AccountRecord>(encoded: EncodedAccountRecord): T {
  return {
    ...fromJsonText<Record<string, unknown>>(encoded.data),
    id: encoded.id,
    account: encoded.account,
    createdAt: new Date(encoded.createdAt.getTime()),
    updatedAt: new Date(encoded.updatedAt.getTime()),
  } as unknown as T;
}
