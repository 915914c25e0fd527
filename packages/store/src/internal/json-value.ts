/**
 * Free-form JSON (an event envelope, a webhook's auth settings, header maps) is kept as JSON
 * text in MongoDB. Customer payloads and header names may well hold keys with `.` or a leading
 * `$`, and nested arrays: servers differ on those (MongoDB stores such keys only since 5.0 and
 * cannot address them in queries or updates; other servers refuse them), while text comes back
 * exactly on every server, mongo-java-server included — and the data stored so far stays readable. Both stores pass such
 * values through JSON, so they agree on what comes back (`undefined` members dropped, `-0` as 0).
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
