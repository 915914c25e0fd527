/** The content types a payload schema can have (F3); the one chosen is sent as `Content-Type`. */
export const SCHEMA_CONTENT_TYPES = ['text/plain', 'application/json', 'application/xml'] as const;
export type SchemaContentType = (typeof SCHEMA_CONTENT_TYPES)[number];

export function isSchemaContentType(value: unknown): value is SchemaContentType {
  return typeof value === 'string' && (SCHEMA_CONTENT_TYPES as readonly string[]).includes(value);
}
