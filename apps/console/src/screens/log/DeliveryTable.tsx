import type { components } from '@herald/api-spec';
import { useI18n } from '../../i18n/index.tsx';
import { StatusBadge } from '../../components/ui.tsx';

type Delivery = components['schemas']['Delivery'];

/** The deliveries, latest first (the API's order), one row each. */
export function DeliveryTable({ deliveries, label, webhookName, onShow }: { deliveries: Delivery[]; label: string; webhookName(id: string): string; onShow(id: string): void }) {
  const { t, formatDateTime, formatNumber } = useI18n();
  return (
    <div className="log-table-wrap">
      <table aria-label={label} className="log-table">
        <thead>
          <tr>
            <th scope="col">{t('log.col.time')}</th>
            <th scope="col">{t('log.col.webhook')}</th>
            <th scope="col">{t('log.col.eventType')}</th>
            <th scope="col">{t('log.col.entity')}</th>
            <th scope="col">{t('log.col.status')}</th>
            <th scope="col">{t('log.col.attempts')}</th>
            <th scope="col">{t('log.col.nextAttempt')}</th>
            <th scope="col">{t('log.col.lastError')}</th>
            <th scope="col">
              <span className="visually-hidden">{t('log.col.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id} data-delivery-id={d.id}>
              <td>
                <time dateTime={d.createdAt}>{formatDateTime(d.createdAt)}</time>
                {d.test ? <span className="log-tag">{t('log.test')}</span> : null}
              </td>
              <td>{webhookName(d.webhookId)}</td>
              <td>
                <code>{d.eventType}</code>
              </td>
              <td>
                <code>
                  {d.entity.type}/{d.entity.id}
                </code>
              </td>
              <td>
                <StatusBadge status={d.status} label={t(`log.status.${d.status}`)} />
              </td>
              <td>{formatNumber(d.attemptCount)}</td>
              <td>{d.nextAttemptAt ? <time dateTime={d.nextAttemptAt}>{formatDateTime(d.nextAttemptAt)}</time> : '—'}</td>
              <td className="log-error">{d.lastError ?? '—'}</td>
              <td>
                <button type="button" className="link" onClick={() => onShow(d.id)}>
                  {t('log.showDetails')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
