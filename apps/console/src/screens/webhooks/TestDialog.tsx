import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { call } from '../../api.ts';
import { Dialog, ErrorMessage, Loading, StatusBadge } from '../../components/ui.tsx';
import type { components } from '@herald/api-spec';
import type { Webhook } from './form.ts';

type S = components['schemas'];

/** Renders headers as text, one `name: value` a line. */
function headerText(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/**
 * The Test button's answer (F6): POST /v1/webhooks/{id}/test sends a test event at once; this
 * shows the request as it went (secrets masked by the API) and the answer or the error. Every
 * value is rendered as text.
 */
export function TestDialog({ webhook, onClose }: { webhook: Webhook; onClose(): void }) {
  const { t } = useI18n();
  const { client } = useSession();
  const [state, setState] = useState<{ result?: S['DeliveryResult']; error?: Error }>({});
  // Sent once per dialog (StrictMode runs effects twice in development: a test is not idempotent).
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    call(client.POST('/v1/webhooks/{webhookId}/test', { params: { path: { webhookId: webhook.id } }, body: {} })).then(
      (result) => setState({ result }),
      (error: Error) => setState({ error }),
    );
  }, [client, webhook.id]);
  return (
    <Dialog wide title={t('webhooks.test.title')} onClose={onClose}>
      <p className="muted">{t('webhooks.test.intro', { name: webhook.name })}</p>
      {state.result ? <TestResult delivery={state.result.delivery} /> : state.error ? <ErrorMessage error={state.error} /> : <Loading />}
      <div className="actions">
        <button type="button" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Dialog>
  );
}

function TestResult({ delivery }: { delivery: S['DeliveryDetail'] }) {
  const { t, formatNumber } = useI18n();
  const attempt = delivery.attempts[delivery.attempts.length - 1];
  return (
    <div>
      <p>
        {t('webhooks.test.outcome')} <StatusBadge status={delivery.status} label={t(`webhooks.status.${delivery.status}`)} />
      </p>
      {attempt ? (
        <div className="split">
          <section aria-labelledby="wh-test-request">
            <h3 id="wh-test-request">{t('webhooks.test.request')}</h3>
            <p className="mono">
              {attempt.request.method} {attempt.request.url}
            </p>
            <h4>{t('webhooks.test.headers')}</h4>
            <pre>{headerText(attempt.request.headers)}</pre>
            <h4>{t('webhooks.test.body')}</h4>
            <pre>{attempt.request.body}</pre>
          </section>
          <section aria-labelledby="wh-test-response">
            <h3 id="wh-test-response">{t('webhooks.test.response')}</h3>
            <dl className="facts">
              {attempt.response ? (
                <>
                  <dt>{t('webhooks.test.status')}</dt>
                  <dd>{attempt.response.status}</dd>
                </>
              ) : null}
              <dt>{t('webhooks.test.duration')}</dt>
              <dd>{t('webhooks.test.ms', { ms: formatNumber(attempt.durationMs) })}</dd>
            </dl>
            {attempt.error ? (
              <p className="state state-error">
                <strong>{attempt.error.class}</strong>: {attempt.error.message}
              </p>
            ) : null}
            {attempt.response ? (
              <>
                <h4>{t('webhooks.test.headers')}</h4>
                <pre>{headerText(attempt.response.headers)}</pre>
                <h4>{t('webhooks.test.body')}</h4>
                <pre>{attempt.response.body}</pre>
                {attempt.response.truncated ? <p className="muted">{t('webhooks.test.truncated')}</p> : null}
              </>
            ) : (
              <p className="muted">{t('webhooks.test.noResponse')}</p>
            )}
          </section>
        </div>
      ) : (
        <p>{delivery.lastError}</p>
      )}
    </div>
  );
}
