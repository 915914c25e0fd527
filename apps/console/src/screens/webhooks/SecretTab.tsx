import { useState } from 'react';
import { useI18n } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { call } from '../../api.ts';
import { ErrorMessage, Field, WriteButton } from '../../components/ui.tsx';
import type { Webhook } from './form.ts';

/**
 * The signing secret of a stored webhook (F12): masked; "Reveal" reads it (GET /secret, admin
 * only), "Rotate" replaces it (POST /secret/rotate) while the old one keeps signing for the overlap.
 */
export function SecretTab({ webhook }: { webhook: Webhook }) {
  const { t, formatDateTime } = useI18n();
  const { client } = useSession();
  const [secret, setSecret] = useState<string | null>(null);
  const [overlap, setOverlap] = useState('86400');
  const [rotated, setRotated] = useState<{ secret: string; previousSecretExpiresAt: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const path = { params: { path: { webhookId: webhook.id } } };

  async function reveal() {
    setBusy(true);
    setError(null);
    try {
      setSecret((await call(client.GET('/v1/webhooks/{webhookId}/secret', path))).secret);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  }

  async function rotate() {
    setBusy(true);
    setError(null);
    try {
      const n = Number(overlap);
      const r = await call(client.POST('/v1/webhooks/{webhookId}/secret/rotate', { ...path, body: overlap.trim() === '' || !Number.isFinite(n) ? {} : { overlapSeconds: n } }));
      setRotated(r);
      setSecret(r.secret);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <p className="muted">{t('webhooks.secret.intro')}</p>
      <Field label={t('webhooks.secret.field')}>
        {(p) => <input {...p} readOnly value={secret ?? webhook.secret} className="mono" spellCheck={false} />}
      </Field>
      <div className="actions actions-start">
        <WriteButton onClick={reveal} disabled={busy || secret !== null}>
          {t('webhooks.secret.reveal')}
        </WriteButton>
      </div>
      <h3>{t('webhooks.secret.rotateTitle')}</h3>
      <p className="muted">{t('webhooks.secret.rotateIntro')}</p>
      <Field label={t('webhooks.secret.overlap')} hint={t('webhooks.secret.overlapHint')}>
        {(p) => <input {...p} type="number" min={0} max={604800} value={overlap} onChange={(e) => setOverlap(e.target.value)} />}
      </Field>
      <div className="actions actions-start">
        <WriteButton onClick={rotate} disabled={busy}>
          {t('webhooks.secret.rotate')}
        </WriteButton>
      </div>
      {rotated ? (
        <p role="status" className="notice">
          {rotated.previousSecretExpiresAt
            ? t('webhooks.secret.rotatedUntil', { time: formatDateTime(rotated.previousSecretExpiresAt) })
            : t('webhooks.secret.rotatedNow')}
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </div>
  );
}
