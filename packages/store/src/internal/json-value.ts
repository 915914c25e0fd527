/**
 * Free-form JSON (an event envelope, a webhook's auth settings, header maps) is kept as JSON
 * text in MongoDB: FerretDB v1 rejects keys with `.` or a leading `$` and nested arrays,
 * which customer payloads and header names may well contain. Both stores pass such values
 * through JSON, so they agree on what comes back (`undefined` members dropped, `-0` as 0).
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value);
}

export function fromJsonText<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** A deep copy through JSON: exactly what a round trip through the MongoDB store gives. */
export function jsonCopy<T>(value: T): T {
  return fromJsonText<T>(toJsonText(value));
}
