import { useState } from 'react';
import type { components } from '@herald/api-spec';
import { call, useLoad } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { Dialog, ErrorMessage, Loaded, StatusBadge, WriteButton } from '../../components/ui.tsx';
import { prettyBody } from './filters.ts';

type Schemas = components['schemas'];
type Detail = Schemas['DeliveryDetail'];
type Attempt = Schemas['Attempt'];

/** A body as text in a <pre> (never as markup), pretty-printed when it is JSON. */
export function Body({ body, label }: { body: string; label: string }) {
  const { t } = useI18n();
  if (body === '') return <p className="muted">{t('log.detail.emptyBody')}</p>;
  const { text } = prettyBody(body);
  return (
    <pre className="log-body" aria-label={label} tabIndex={0}>
      {text}
    </pre>
  );
}

function Headers({ headers, label }: { headers: Record<string, string>; label: string }) {
  const { t } = useI18n();
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p className="muted">{t('log.detail.noHeaders')}</p>;
  return (
    <table className="log-headers" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">{t('log.detail.headerName')}</th>
          <th scope="col">{t('log.detail.headerValue')}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}>
            <td>
              <code>{name}</code>
            </td>
            <td>
              <code>{value}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AttemptView({ attempt }: { attempt: Attempt }) {
  const { t, formatDateTime, formatNumber } = useI18n();
  const n = attempt.number;
  return (
    <section className="log-attempt" aria-labelledby={`attempt-${attempt.id}`}>
      <h3 id={`attempt-${attempt.id}`}>
        {t('log.detail.attempt', { number: n })}{' '}
        <StatusBadge status={attempt.success ? 'succeeded' : 'failed'} label={attempt.success ? t('log.attempt.success') : t('log.attempt.failure')} />
      </h3>
      <dl className="log-fields">
        <dt>{t('log.detail.startedAt')}</dt>
        <dd>{formatDateTime(attempt.startedAt)}</dd>
        <dt>{t('log.detail.duration')}</dt>
        <dd>{t('log.detail.ms', { ms: formatNumber(attempt.durationMs) })}</dd>
        {attempt.error ? (
          <>
            <dt>{t('log.detail.error')}</dt>
            <dd>
              <code>{attempt.error.class}</code> {attempt.error.message}
            </dd>
          </>
        ) : null}
      </dl>
      <div className="log-exchange">
        <div>
          <h4>{t('log.detail.request')}</h4>
          <p>
            <code>
              {attempt.request.method} {attempt.request.url}
            </code>
          </p>
          <Headers headers={attempt.request.headers} label={t('log.detail.requestHeaders', { number: n })} />
          <Body body={attempt.request.body} label={t('log.detail.requestBody', { number: n })} />
        </div>
        <div>
          <h4>{t('log.detail.response')}</h4>
          {attempt.response ? (
            <>
              <p>
                {t('log.detail.httpStatus')} <strong>{attempt.response.status}</strong>
              </p>
              <Headers headers={attempt.response.headers} label={t('log.detail.responseHeaders', { number: n })} />
              <Body body={attempt.response.body} label={t('log.detail.responseBody', { number: n })} />
              {attempt.response.truncated ? <p className="muted">{t('log.detail.truncated')}</p> : null}
            </>
          ) : (
            <p className="muted">{t('log.detail.noResponse')}</p>
          )}
        </div>
      </div>
    </section>
  );
}

/** Why a delivery cannot be resent now, or null when it can (the API answers 409 in these cases). */
export function resendBlocked(d: Schemas['Delivery']): 'test' | 'pending' | null {
  if (d.test) return 'test';
  if (d.status === 'pending') return 'pending';
  return null;
}

function ResendButton({ delivery, onResent }: { delivery: Detail; onResent(d: Detail): void }) {
  const { client } = useSession();
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const blocked = resendBlocked(delivery);
  return (
    <div className="log-resend">
      <WriteButton
        className="primary"
        disabled={busy || blocked !== null}
        aria-describedby={blocked ? `resend-why-${delivery.id}` : undefined}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            const r = await call(client.POST('/v1/deliveries/{deliveryId}/resend', { params: { path: { deliveryId: delivery.id } } }));
            onResent(r.delivery);
          } catch (err) {
            setError(err as Error);
          } finally {
            setBusy(false);
          }
        }}
      >
        {t('log.resend')}
      </WriteButton>
      {blocked ? (
        <small id={`resend-why-${delivery.id}`} className="hint">
          {t(blocked === 'test' ? 'log.resend.test' : 'log.resend.pending')}
        </small>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </div>
  );
}

/** One delivery with the event it carries and every attempt: a wide dialog. */
export function DeliveryDetailDialog({ id, webhookName, onClose, onChanged }: { id: string; webhookName(id: string): string; onClose(): void; onChanged(): void }) {
  const { client } = useSession();
  const { t, formatDateTime, formatNumber } = useI18n();
  const load = useLoad(() => call(client.GET('/v1/deliveries/{deliveryId}', { params: { path: { deliveryId: id } } })), [client, id]);
  const [resent, setResent] = useState<Detail | null>(null);
  return (
    <Dialog title={t('log.detail.title', { id })} onClose={onClose} wide>
      <Loaded load={load}>
        {(d) => (
          <>
            <dl className="log-fields">
              <dt>{t('log.detail.id')}</dt>
              <dd>
                <code>{d.id}</code>
                {d.test ? <span className="log-tag">{t('log.test')}</span> : null}
              </dd>
              <dt>{t('log.col.status')}</dt>
              <dd>
                <StatusBadge status={d.status} label={t(`log.status.${d.status}`)} />
              </dd>
              <dt>{t('log.col.webhook')}</dt>
              <dd>
                {webhookName(d.webhookId)} <code className="muted">{d.webhookId}</code>
              </dd>
              <dt>{t('log.col.eventType')}</dt>
              <dd>
                <code>{d.eventType}</code>
              </dd>
              <dt>{t('log.detail.eventId')}</dt>
              <dd>
                <code>{d.eventId}</code>
              </dd>
              <dt>{t('log.col.entity')}</dt>
              <dd>
                <code>
                  {d.entity.type}/{d.entity.id}
                </code>
              </dd>
              <dt>{t('log.detail.schema')}</dt>
              <dd>{d.schemaId ? <code>{d.schemaId}</code> : t('log.detail.defaultPayload')}</dd>
              <dt>{t('log.col.attempts')}</dt>
              <dd>{formatNumber(d.attemptCount)}</dd>
              <dt>{t('log.col.nextAttempt')}</dt>
              <dd>{formatDateTime(d.nextAttemptAt)}</dd>
              <dt>{t('log.detail.createdAt')}</dt>
              <dd>{formatDateTime(d.createdAt)}</dd>
              <dt>{t('log.detail.updatedAt')}</dt>
              <dd>{formatDateTime(d.updatedAt)}</dd>
              {d.lastError ? (
                <>
                  <dt>{t('log.col.lastError')}</dt>
                  <dd>{d.lastError}</dd>
                </>
              ) : null}
            </dl>
            <ResendButton
              delivery={d}
              onResent={(r) => {
                setResent(r);
                load.reload();
                onChanged();
              }}
            />
            {resent ? (
              <p className="notice" role="status">
                {t('log.resend.done', { id: resent.id, at: formatDateTime(resent.nextAttemptAt) })}
              </p>
            ) : null}
            <h3>{t('log.detail.event')}</h3>
            <Body body={JSON.stringify(d.event)} label={t('log.detail.event')} />
            <h3>{t('log.detail.attempts', { count: d.attempts.length })}</h3>
            {d.attempts.length === 0 ? <p className="muted">{t('log.detail.noAttempts')}</p> : d.attempts.map((a) => <AttemptView key={a.id} attempt={a} />)}
          </>
        )}
      </Loaded>
    </Dialog>
  );
}
