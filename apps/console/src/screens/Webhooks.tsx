import { useId, useState } from 'react';
import { useI18n, useT } from '../i18n/index.tsx';
import { useCanWrite, useSession } from '../session.tsx';
import { call, useLoad } from '../api.ts';
import { ConfirmDialog, Empty, ErrorMessage, Loaded, StatusBadge, Switch, WriteButton } from '../components/ui.tsx';
import { allWebhooks } from './webhooks/data.ts';
import { WebhookDialog } from './webhooks/WebhookDialog.tsx';
import { TestDialog } from './webhooks/TestDialog.tsx';
import type { Webhook } from './webhooks/form.ts';

type Open = { kind: 'add' } | { kind: 'edit'; webhook: Webhook } | { kind: 'delete'; webhook: Webhook } | { kind: 'test'; webhook: Webhook } | null;

/** Settings → Webhooks: the account's webhooks, with add, edit, test, delete and their latest delivery. */
export function WebhooksScreen() {
  const t = useT();
  const { client } = useSession();
  const load = useLoad(() => allWebhooks(client), [client]);
  const [open, setOpen] = useState<Open>(null);
  const [actionError, setActionError] = useState<Error | null>(null);
  const [busy, setBusy] = useState<Record<string, boolean>>({});
  /** The switch's state while its PATCH is under way (and until the list is read again). */
  const [pending, setPending] = useState<Record<string, boolean>>({});
  /** Bumped when the latest deliveries may have changed (a test sent, the list read again). */
  const [tick, setTick] = useState(0);

  async function toggle(w: Webhook, active: boolean) {
    setActionError(null);
    setBusy((b) => ({ ...b, [w.id]: true }));
    setPending((p) => ({ ...p, [w.id]: active }));
    try {
      await call(client.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.id } }, body: { active } }));
      load.reload();
      setTick((n) => n + 1);
    } catch (err) {
      setActionError(err as Error);
      setPending((p) => {
        const { [w.id]: _gone, ...rest } = p;
        return rest;
      });
    } finally {
      setBusy((b) => ({ ...b, [w.id]: false }));
    }
  }

  const addButton = (
    <WriteButton className="primary" onClick={() => setOpen({ kind: 'add' })}>
      {t('webhooks.add')}
    </WriteButton>
  );

  return (
    <section aria-labelledby="webhooks-title">
      <div className="toolbar">
        <h1 id="webhooks-title">{t('nav.webhooks')}</h1>
        <span className="spacer" />
        {load.state === 'ready' && load.data.length > 0 ? addButton : null}
      </div>
      <p className="muted">{t('webhooks.intro')}</p>
      {actionError ? <ErrorMessage error={actionError} /> : null}
      <Loaded load={load}>
        {(list) =>
          list.length === 0 ? (
            <div className="webhooks-empty">
              <Empty>{t('webhooks.empty')}</Empty>
              {addButton}
            </div>
          ) : (
            <div className="table-scroll">
              <table className="webhooks-table">
                <caption className="visually-hidden">{t('webhooks.caption', { count: list.length })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('webhooks.col.name')}</th>
                    <th scope="col">{t('webhooks.col.url')}</th>
                    <th scope="col">{t('webhooks.col.eventTypes')}</th>
                    <th scope="col">{t('webhooks.col.projects')}</th>
                    <th scope="col">{t('webhooks.col.active')}</th>
                    <th scope="col">{t('webhooks.col.lastDelivery')}</th>
                    <th scope="col">{t('webhooks.col.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((w) => (
                    <Row
                      key={w.id}
                      webhook={w}
                      tick={tick}
                      active={pending[w.id] ?? w.active}
                      busy={!!busy[w.id]}
                      onToggle={(v) => void toggle(w, v)}
                      onEdit={() => setOpen({ kind: 'edit', webhook: w })}
                      onDelete={() => setOpen({ kind: 'delete', webhook: w })}
                      onTest={() => setOpen({ kind: 'test', webhook: w })}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      {open?.kind === 'add' || open?.kind === 'edit' ? (
        <WebhookDialog
          {...(open.kind === 'edit' ? { webhook: open.webhook } : {})}
          onClose={() => setOpen(null)}
          onSaved={() => {
            setOpen(null);
            setPending({});
            load.reload();
          }}
        />
      ) : null}
      {open?.kind === 'test' ? <TestDialog
          webhook={open.webhook}
          onClose={() => {
            setOpen(null);
            setTick((n) => n + 1);
          }}
        /> : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          title={t('webhooks.delete.title', { name: open.webhook.name })}
          message={t('webhooks.delete.message', { name: open.webhook.name })}
          confirmLabel={t('common.delete')}
          onCancel={() => setOpen(null)}
          onConfirm={async () => {
            await call(client.DELETE('/v1/webhooks/{webhookId}', { params: { path: { webhookId: open.webhook.id } } }));
            setOpen(null);
            load.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function Row({
  webhook: w,
  tick,
  active,
  busy,
  onToggle,
  onEdit,
  onDelete,
  onTest,
}: {
  webhook: Webhook;
  tick: number;
  active: boolean;
  busy: boolean;
  onToggle(v: boolean): void;
  onEdit(): void;
  onDelete(): void;
  onTest(): void;
}) {
  const t = useT();
  const canWrite = useCanWrite();
  const nameId = useId();
  const reasonId = useId();
  const log = `#/log?webhookId=${encodeURIComponent(w.id)}`;
  return (
    <tr>
      <th scope="row" id={nameId}>
        <span className="webhook-name">{w.name}</span>
        {w.description ? <div className="muted webhook-description">{w.description}</div> : null}
        {w.disabledReason ? (
          <div className="notice notice-warning webhook-disabled">
            {t('webhooks.disabledBy', { reason: w.disabledReason })}
          </div>
        ) : null}
      </th>
      <td className="webhook-url">
        <span className="mono">{w.method}</span> <span className="mono break">{w.url}</span>
      </td>
      <td>
        {w.eventTypes.length === 0 ? (
          <span className="muted">{t('webhooks.eventTypesNone')}</span>
        ) : (
          <ul className="plain">
            {w.eventTypes.map((n) => (
              <li key={n}>
                <code>{n}</code>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>{w.projects ? w.projects.join(', ') : <span className="muted">{t('webhooks.allProjects')}</span>}</td>
      <td>
        <span className="switch-row" title={canWrite ? undefined : t('common.needsAdmin')}>
          <Switch
            checked={active}
            onChange={onToggle}
            label={t('webhooks.activeFor', { name: w.name })}
            disabled={busy || !canWrite}
            {...(canWrite ? {} : { describedBy: reasonId })}
          />
          <span>{active ? t('webhooks.on') : t('webhooks.off')}</span>
          {canWrite ? null : (
            <span id={reasonId} className="visually-hidden">
              {t('common.needsAdmin')}
            </span>
          )}
        </span>
      </td>
      <td>
        <LastDelivery webhookId={w.id} tick={tick} />
      </td>
      <td>
        <div className="row-actions">
          <a href={log} aria-describedby={nameId}>
            {t('webhooks.viewLog')}
          </a>
          <a href={`${log}&last=10`} aria-describedby={nameId}>
            {t('webhooks.last10')}
          </a>
          <WriteButton onClick={onTest} aria-describedby={nameId}>
            {t('webhooks.test')}
          </WriteButton>
          <WriteButton onClick={onEdit} aria-describedby={nameId}>
            {t('common.edit')}
          </WriteButton>
          <WriteButton className="danger" onClick={onDelete} aria-describedby={nameId}>
            {t('common.delete')}
          </WriteButton>
        </div>
      </td>
    </tr>
  );
}

/** The webhook's latest delivery (GET /v1/webhooks/{id}/deliveries?limit=1): its status and time. */
function LastDelivery({ webhookId, tick }: { webhookId: string; tick: number }) {
  const { t, formatDateTime } = useI18n();
  const { client } = useSession();
  const load = useLoad(() => call(client.GET('/v1/webhooks/{webhookId}/deliveries', { params: { path: { webhookId }, query: { limit: 1 } } })), [client, webhookId, tick]);
  if (load.state === 'loading') return <span className="muted">{t('common.loading')}</span>;
  if (load.state === 'error') return <span className="muted">{t('webhooks.lastDeliveryError')}</span>;
  const d = load.data.data[0];
  if (!d) return <span className="muted">{t('webhooks.noDeliveries')}</span>;
  return (
    <span className="last-delivery">
      <StatusBadge status={d.status} label={t(`webhooks.status.${d.status}`)} />
      {d.test ? <span className="muted"> {t('webhooks.testDelivery')}</span> : null}{' '}
      <time dateTime={d.updatedAt}>{formatDateTime(d.updatedAt)}</time>
    </span>
  );
}
