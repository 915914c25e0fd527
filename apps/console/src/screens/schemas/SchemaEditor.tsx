import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { components } from '@herald/api-spec';
import { ApiError, call } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { useT } from '../../i18n/index.tsx';
import { Dialog, ErrorMessage, Field, WriteButton, FieldErrorList } from '../../components/ui.tsx';
import { CONTENT_TYPES, modelOf, offsetOf, positionOf, schemaFields, type ContentType, type EventType, type PayloadSchema } from './model.ts';

type PreviewRequest = components['schemas']['SchemaPreviewRequest'];
type EventEnvelope = components['schemas']['EventEnvelope'];

/** How long typing must pause before the preview renders again. */
export const PREVIEW_DEBOUNCE_MS = 250;

type Preview =
  | { state: 'idle'; reason: string }
  | { state: 'loading' }
  | { state: 'ok'; body: string; contentType: ContentType }
  | { state: 'error'; errors: { field: string; message: string }[]; detail: string };

/** What the pasted event says: a whole envelope, the data only (wrapped as the API wraps an example), or a local error. */
function eventFromText(text: string, eventType: string, accountId: string): { event: EventEnvelope } | { error: string } | { none: true } {
  if (text.trim() === '') return { none: true };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'object' };
  const o = v as Record<string, unknown>;
  if (typeof o['type'] === 'string' && typeof o['entity'] === 'object') {
    return {
      event: {
        id: 'evt_preview',
        action: 'update',
        occurredAt: new Date().toISOString(),
        ...(o as Partial<EventEnvelope>),
        account: accountId,
      } as EventEnvelope,
    };
  }
  if (!eventType) return { error: 'needsType' };
  const id = o['id'];
  return {
    event: {
      id: 'evt_preview',
      type: eventType,
      account: accountId,
      entity: { type: modelOf(eventType), id: typeof id === 'string' || typeof id === 'number' ? String(id) : 'sample' },
      action: eventType.endsWith('.created') ? 'new' : 'update',
      occurredAt: new Date().toISOString(),
      data: o,
    },
  };
}

/** Placeholders of an event type: the record's fields as `{{model:attr}}`, and the event's own. */
function placeholdersOf(eventType: EventType | undefined): { text: string; type?: string; description?: string }[] {
  if (!eventType) return [];
  const model = modelOf(eventType.name);
  const fields = schemaFields(eventType.schema);
  return [
    { text: `{{${model}:id}}`, type: 'string' },
    ...fields.map((f) => ({ text: `{{${model}:${f.path}}}`, ...(f.type ? { type: f.type } : {}), ...(f.description ? { description: f.description } : {}) })),
    { text: '{{ event.type }}', type: 'string' },
    { text: '{{ event.occurredAt }}', type: 'string' },
    { text: '{{ action_type }}', type: 'string' },
    { text: '{{ webhook.name }}', type: 'string' },
  ];
}

export function SchemaEditor({ schema, eventTypes, onClose, onSaved }: { schema: PayloadSchema | null; eventTypes: EventType[]; onClose(): void; onSaved(s: PayloadSchema): void }) {
  const t = useT();
  const { client, accountId } = useSession();
  const [name, setName] = useState(schema?.name ?? '');
  const [description, setDescription] = useState(schema?.description ?? '');
  const [contentType, setContentType] = useState<ContentType>(schema?.contentType ?? 'application/json');
  const [strict, setStrict] = useState(schema?.strict ?? false);
  const [eventType, setEventType] = useState(schema?.eventTypes[0] ?? '');
  const [body, setBody] = useState(schema?.body ?? '');
  const [eventText, setEventText] = useState('');
  const [saveError, setSaveError] = useState<Error | null>(null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState<Preview>({ state: 'idle', reason: '' });
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const pendingSelection = useRef<number | null>(null);
  const previewId = useId();
  const placeholdersId = useId();

  const selectedType = eventTypes.find((e) => e.name === eventType);
  const placeholders = useMemo(() => placeholdersOf(selectedType), [selectedType]);
  const pasted = useMemo(() => eventFromText(eventText, eventType, accountId), [eventText, eventType, accountId]);

  // Restores the cursor after a placeholder is inserted (the value renders first).
  useEffect(() => {
    const at = pendingSelection.current;
    if (at === null || !bodyRef.current) return;
    pendingSelection.current = null;
    bodyRef.current.focus();
    bodyRef.current.setSelectionRange(at, at);
  }, [body]);

  // The live preview: debounced, and only the answer to the latest request is shown.
  const seq = useRef(0);
  useEffect(() => {
    const n = ++seq.current;
    if (body === '') {
      setPreview({ state: 'idle', reason: t('schemas.preview.noBody') });
      return;
    }
    let against: Pick<PreviewRequest, 'event' | 'eventType'>;
    if ('error' in pasted) {
      setPreview({ state: 'idle', reason: pasted.error === 'needsType' ? t('schemas.preview.needsType') : t('schemas.preview.badEvent', { error: pasted.error === 'object' ? t('schemas.preview.notObject') : pasted.error }) });
      return;
    }
    if ('event' in pasted) against = { event: pasted.event };
    else if (eventType && selectedType?.example) against = { eventType };
    else {
      setPreview({ state: 'idle', reason: eventType ? t('schemas.preview.noExample') : t('schemas.preview.noEvent') });
      return;
    }
    const timer = setTimeout(() => {
      setPreview((p) => (p.state === 'ok' || p.state === 'error' ? p : { state: 'loading' }));
      call(client.POST('/v1/schemas/preview', { body: { body, contentType, strict, ...against } })).then(
        (r) => n === seq.current && setPreview({ state: 'ok', body: r.body, contentType: r.contentType }),
        (err: Error) => {
          if (n !== seq.current) return;
          if (err instanceof ApiError && err.status === 400) setPreview({ state: 'error', errors: err.problem?.errors ?? [], detail: err.message });
          else setPreview({ state: 'error', errors: [], detail: err.message });
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [body, contentType, strict, eventType, selectedType, pasted, client, t]);

  function insert(text: string) {
    const el = bodyRef.current;
    const start = el ? el.selectionStart : body.length;
    const end = el ? el.selectionEnd : body.length;
    pendingSelection.current = start + text.length;
    setBody(body.slice(0, start) + text + body.slice(end));
  }

  function goTo(line: number, column: number) {
    const el = bodyRef.current;
    if (!el) return;
    const at = offsetOf(body, line, column);
    el.focus();
    el.setSelectionRange(at, Math.min(body.length, at + 1));
  }

  async function save() {
    setSaving(true);
    setSaveError(null);
    const rest = (schema?.eventTypes ?? []).slice(1).filter((n) => n !== eventType);
    const eventTypesOut = eventType ? [eventType, ...rest] : rest;
    try {
      const saved = schema
        ? await call(client.PATCH('/v1/schemas/{schemaId}', { params: { path: { schemaId: schema.id } }, body: { name, description, contentType, strict, body, eventTypes: eventTypesOut } }))
        : await call(client.POST('/v1/schemas', { body: { name, description, contentType, strict, body, eventTypes: eventTypesOut } }));
      onSaved(saved);
    } catch (err) {
      setSaveError(err as Error);
      setSaving(false);
    }
  }

  const apiError = saveError instanceof ApiError && saveError.status === 400 ? saveError : null;
  const fieldError = (p: string) => apiError?.fieldError(p);
  const known = ['/name', '/description', '/contentType', '/strict', '/body', '/eventTypes'];
  const otherErrors = apiError ? (apiError.problem?.errors ?? []).filter((e) => !known.some((k) => e.field === k || e.field.startsWith(`${k}/`))) : [];
  const bodyError = fieldError('/body');
  const bodyPos = bodyError ? positionOf(bodyError) : undefined;

  return (
    <Dialog title={schema ? t('schemas.editTitle', { name: schema.name }) : t('schemas.addTitle')} onClose={onClose} wide>
      <form
        className="schema-editor"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {saveError && !apiError ? <ErrorMessage error={saveError} /> : null}
        {apiError ? (
          <div className="state state-error" role="alert">
            <p>{t('errors.fields')}</p>
            <FieldErrorList errors={otherErrors} />
          </div>
        ) : null}
        <div className="schema-editor-grid">
          <div className="schema-editor-main">
            <div className="field-row">
              <Field label={t('schemas.name')} error={fieldError('/name')}>
                {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}
              </Field>
              <Field label={t('schemas.contentType')} error={fieldError('/contentType')}>
                {(p) => (
                  <select {...p} value={contentType} onChange={(e) => setContentType(e.target.value as ContentType)}>
                    {CONTENT_TYPES.map((c) => (
                      <option key={c.value} value={c.value}>
                        {t(c.labelKey)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={t('schemas.eventType')} error={fieldError('/eventTypes')} hint={t('schemas.eventTypeHint')}>
                {(p) => (
                  <select {...p} value={eventType} onChange={(e) => setEventType(e.target.value)}>
                    <option value="">{t('schemas.noEventType')}</option>
                    {eventTypes
                      .filter((et) => !et.archived || et.name === eventType)
                      .map((et) => (
                        <option key={et.name} value={et.name}>
                          {et.name}
                        </option>
                      ))}
                  </select>
                )}
              </Field>
            </div>
            <Field label={t('schemas.description')} error={fieldError('/description')}>
              {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />}
            </Field>
            <label className="checkbox">
              <input type="checkbox" checked={strict} onChange={(e) => setStrict(e.target.checked)} /> {t('schemas.strict')}
            </label>
            <Field label={t('schemas.body')} error={bodyError} hint={t('schemas.bodyHint')}>
              {(p) => (
                <textarea
                  {...p}
                  ref={bodyRef}
                  className="schema-body"
                  rows={14}
                  spellCheck={false}
                  value={body}
                  onChange={(e) => setBody(e.target.value)}
                  required
                />
              )}
            </Field>
            {bodyPos?.inTemplate ? (
              <button type="button" className="link" onClick={() => goTo(bodyPos.line, bodyPos.column)}>
                {t('schemas.goTo', { line: bodyPos.line, column: bodyPos.column })}
              </button>
            ) : null}
            <Field label={t('schemas.previewEvent')} hint={t('schemas.previewEventHint')}>
              {(p) => <textarea {...p} rows={4} spellCheck={false} value={eventText} onChange={(e) => setEventText(e.target.value)} />}
            </Field>
          </div>
          <aside className="schema-editor-side">
            <h3 id={placeholdersId}>{t('schemas.placeholders')}</h3>
            {!selectedType ? (
              <p className="muted">{t('schemas.placeholdersNoType')}</p>
            ) : (
              <>
                {!selectedType.schema ? <p className="muted">{t('schemas.placeholdersNoSchema')}</p> : null}
                <p className="hint">{t('schemas.placeholdersHint')}</p>
                <ul className="placeholder-list" aria-labelledby={placeholdersId}>
                  {placeholders.map((ph) => (
                    <li key={ph.text}>
                      <button type="button" className="placeholder" onClick={() => insert(ph.text)} title={ph.description ?? ph.type}>
                        <code>{ph.text}</code>
                      </button>
                      {ph.type ? <span className="muted"> {ph.type}</span> : null}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </aside>
        </div>
        <section className="schema-preview" aria-labelledby={previewId}>
          <h3 id={previewId}>{t('schemas.preview')}</h3>
          <div aria-live="polite">
            {preview.state === 'idle' ? <p className="muted">{preview.reason}</p> : null}
            {preview.state === 'loading' ? <p className="muted">{t('common.loading')}</p> : null}
            {preview.state === 'ok' ? <pre className="preview-output">{preview.body}</pre> : null}
            {preview.state === 'error' ? (
              <div className="preview-error" role="alert">
                <strong>{t('schemas.preview.failed')}</strong>
                {preview.errors.length === 0 ? <p>{preview.detail}</p> : null}
                <ul>
                  {preview.errors.map((e) => {
                    const pos = positionOf(e.message);
                    return (
                      <li key={e.field + e.message}>
                        {pos ? (
                          <strong>
                            {pos.inTemplate ? t('schemas.preview.atTemplate', { line: pos.line, column: pos.column }) : t('schemas.preview.atOutput', { line: pos.line, column: pos.column })}{' '}
                          </strong>
                        ) : null}
                        {e.field && e.field !== '/body' ? <code>{e.field} </code> : null}
                        {e.message}
                        {pos?.inTemplate ? (
                          <>
                            {' '}
                            <button type="button" className="link" onClick={() => goTo(pos.line, pos.column)}>
                              {t('schemas.goTo', { line: pos.line, column: pos.column })}
                            </button>
                          </>
                        ) : null}
                      </li>
                    );
                  })}
                </ul>
              </div>
            ) : null}
          </div>
        </section>
        <div className="actions">
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <WriteButton type="submit" className="primary" disabled={saving}>
            {t('common.save')}
          </WriteButton>
        </div>
      </form>
    </Dialog>
  );
}
