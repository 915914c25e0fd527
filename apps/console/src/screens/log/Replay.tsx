import { useState, type FormEvent } from 'react';
import { ApiError, call } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { ErrorMessage, Field, WriteButton } from '../../components/ui.tsx';
import { localInputToUtc } from './filters.ts';

/** Replay (F13): a webhook's failed deliveries since a time go back to pending. */
export function ReplayForm({ webhookId, webhookName, onReplayed }: { webhookId: string; webhookName: string; onReplayed(): void }) {
  const { client } = useSession();
  const { t, formatNumber } = useI18n();
  const [since, setSince] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [result, setResult] = useState<number | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const utc = localInputToUtc(since);
    if (!utc) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await call(client.POST('/v1/webhooks/{webhookId}/replay', { params: { path: { webhookId } }, body: { since: utc } }));
      setResult(r.requeued);
      onReplayed();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  }

  const sinceError = error instanceof ApiError ? error.fieldError('/since') : undefined;
  return (
    <section className="log-replay" aria-labelledby="log-replay-title">
      <h2 id="log-replay-title">{t('log.replay.title', { webhook: webhookName })}</h2>
      <p className="muted">{t('log.replay.intro')}</p>
      <form className="field-row" onSubmit={submit}>
        <Field label={t('log.replay.since')} error={sinceError}>
          {(p) => <input {...p} type="datetime-local" step={1} required value={since} onChange={(e) => setSince(e.target.value)} />}
        </Field>
        <div className="field">
          <WriteButton type="submit" className="primary" disabled={busy || !since}>
            {t('log.replay.submit')}
          </WriteButton>
        </div>
      </form>
      {result !== null ? (
        <p className="notice" role="status">
          {t(result === 1 ? 'log.replay.doneOne' : 'log.replay.done', { count: formatNumber(result) })}
        </p>
      ) : null}
      {error && !sinceError ? <ErrorMessage error={error} /> : null}
    </section>
  );
}
