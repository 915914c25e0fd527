/**
 * The log's filters as they live in the hash (`#/log?status=failed&since=…`), so that a view can
 * be linked; times there are RFC 3339 in UTC, in the form they are `datetime-local` (local time).
 */
import type { components } from '@herald/api-spec';

export type DeliveryStatus = components['schemas']['DeliveryStatus'];
export const STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed', 'suppressed', 'cancelled'];

export interface LogFilters {
  webhookId?: string;
  eventType?: string;
  status?: DeliveryStatus;
  entityType?: string;
  entityId?: string;
  /** RFC 3339, UTC. */
  since?: string;
  /** RFC 3339, UTC. */
  until?: string;
}

const KEYS = ['webhookId', 'eventType', 'status', 'entityType', 'entityId', 'since', 'until'] as const;

/** The filters a hash's parameters name; unknown statuses and empty values are left out. */
export function filtersFromParams(params: URLSearchParams): LogFilters {
  const f: LogFilters = {};
  for (const key of KEYS) {
    const v = params.get(key)?.trim();
    if (!v) continue;
    if (key === 'status') {
      if ((STATUSES as readonly string[]).includes(v)) f.status = v as DeliveryStatus;
    } else {
      f[key] = v;
    }
  }
  return f;
}

/** The filters as hash parameters (for `navigate('log', …)`), in a fixed order. */
export function filtersToParams(f: LogFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of KEYS) {
    const v = f[key];
    if (v) out[key] = v;
  }
  return out;
}

/** Whether the filters are the same (for syncing with the hash without a reload loop). */
export function sameFilters(a: LogFilters, b: LogFilters): boolean {
  return KEYS.every((k) => (a[k] ?? '') === (b[k] ?? ''));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A `datetime-local` value (the browser's local time, `2026-11-24T10:00`) as RFC 3339 UTC; '' → undefined. */
export function localInputToUtc(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** An RFC 3339 instant as a `datetime-local` value in local time (to the minute, or second when it has them). */
export function utcToLocalInput(value: string | undefined): string {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() || d.getMilliseconds() ? `${base}:${pad(d.getSeconds())}` : base;
}

/** A body as it is best read: pretty JSON when it parses as an object or array, else the text as is. */
export function prettyBody(body: string): { text: string; json: boolean } {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { text: JSON.stringify(JSON.parse(trimmed), null, 2), json: true };
    } catch {
      // not JSON after all: shown as sent
    }
  }
  return { text: body, json: false };
}
