/** The content types a payload schema may have (F3); sent as `Content-Type`. */
export const PAYLOAD_CONTENT_TYPES = ['text/plain', 'application/json', 'application/xml'] as const;
export type PayloadContentType = (typeof PAYLOAD_CONTENT_TYPES)[number];

/**
 * A named payload schema of an account (F3): a Liquid template that renders the body of a
 * message. Kept apart from webhooks, so several schemas can go to one URL (as rule actions or as
 * a webhook's default).
 */
export interface PayloadSchema {
  /** `sch_…` */
  id: string;
  account: string;
  name: string;
  description?: string;
  contentType: PayloadContentType;
  /** Liquid, with the seed's `{{model:attribute}}` placeholders. */
  body: string;
  /** A missing attribute is an error instead of an empty string. */
  strict: boolean;
  /**
   * The event types the schema is written for: on save, it is rendered with each one's example
   * from the catalog. Empty = only the template's syntax is checked.
   */
  eventTypes: string[];
  createdAt: Date;
  updatedAt: Date;
}
