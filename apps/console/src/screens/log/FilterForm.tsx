import { useState, type FormEvent } from 'react';
import { useI18n } from '../../i18n/index.tsx';
import { Field } from '../../components/ui.tsx';
import { localInputToUtc, STATUSES, utcToLocalInput, type DeliveryStatus, type LogFilters } from './filters.ts';
import type { Lookups } from './lookups.ts';

interface Draft {
  webhookId: string;
  eventType: string;
  status: string;
  entityType: string;
  entityId: string;
  since: string;
  until: string;
}

function draftOf(f: LogFilters): Draft {
  return {
    webhookId: f.webhookId ?? '',
    eventType: f.eventType ?? '',
    status: f.status ?? '',
    entityType: f.entityType ?? '',
    entityId: f.entityId ?? '',
    since: utcToLocalInput(f.since),
    until: utcToLocalInput(f.until),
  };
}

function filtersOf(d: Draft): LogFilters {
  const f: LogFilters = {};
  if (d.webhookId) f.webhookId = d.webhookId;
  if (d.eventType) f.eventType = d.eventType;
  if (d.status) f.status = d.status as DeliveryStatus;
  if (d.entityType.trim()) f.entityType = d.entityType.trim();
  if (d.entityId.trim()) f.entityId = d.entityId.trim();
  const since = localInputToUtc(d.since);
  if (since) f.since = since;
  const until = localInputToUtc(d.until);
  if (until) f.until = until;
  return f;
}

/** The log's filters; applied on submit (the parent keeps them in the hash). Remount it (key) to reset the draft. */
export function FilterForm({ applied, lookups, onApply }: { applied: LogFilters; lookups: Lookups; onApply(f: LogFilters): void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<Draft>(() => draftOf(applied));
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  const entityHalf = (draft.entityType.trim() === '') !== (draft.entityId.trim() === '');

  function submit(e: FormEvent) {
    e.preventDefault();
    if (entityHalf) return;
    onApply(filtersOf(draft));
  }

  const webhookKnown = !draft.webhookId || lookups.webhooks.some((w) => w.id === draft.webhookId);
  const typeKnown = !draft.eventType || lookups.eventTypes.some((e) => e.name === draft.eventType);
  return (
    <form className="log-filters" onSubmit={submit} aria-label={t('log.filters')}>
      <div className="field-row">
        <Field label={t('log.filter.webhook')}>
          {(p) => (
            <select {...p} value={draft.webhookId} onChange={set('webhookId')}>
              <option value="">{t('common.all')}</option>
              {lookups.webhooks.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
              {webhookKnown ? null : <option value={draft.webhookId}>{draft.webhookId}</option>}
            </select>
          )}
        </Field>
        <Field label={t('log.filter.eventType')}>
          {(p) => (
            <select {...p} value={draft.eventType} onChange={set('eventType')}>
              <option value="">{t('common.all')}</option>
              {lookups.eventTypes.map((e) => (
                <option key={e.name} value={e.name}>
                  {e.name}
                </option>
              ))}
              {typeKnown ? null : <option value={draft.eventType}>{draft.eventType}</option>}
            </select>
          )}
        </Field>
        <Field label={t('log.filter.status')}>
          {(p) => (
            <select {...p} value={draft.status} onChange={set('status')}>
              <option value="">{t('common.all')}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`log.status.${s}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('log.filter.entityType')} error={entityHalf && !draft.entityType.trim() ? t('log.filter.entityBoth') : undefined}>
          {(p) => <input {...p} value={draft.entityType} onChange={set('entityType')} maxLength={100} />}
        </Field>
        <Field label={t('log.filter.entityId')} error={entityHalf && !draft.entityId.trim() ? t('log.filter.entityBoth') : undefined}>
          {(p) => <input {...p} value={draft.entityId} onChange={set('entityId')} maxLength={200} />}
        </Field>
        <Field label={t('log.filter.from')}>
          {(p) => <input {...p} type="datetime-local" step={1} value={draft.since} onChange={set('since')} />}
        </Field>
        <Field label={t('log.filter.to')}>
          {(p) => <input {...p} type="datetime-local" step={1} value={draft.until} onChange={set('until')} />}
        </Field>
      </div>
      <div className="toolbar">
        <button type="submit" className="primary">
          {t('log.filter.apply')}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(draftOf({}));
            onApply({});
          }}
        >
          {t('log.filter.clear')}
        </button>
      </div>
    </form>
  );
}
