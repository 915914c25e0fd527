import { useEffect, useRef, useState } from 'react';
import { call, useLoad } from '../api.ts';
import { useSession } from '../session.tsx';
import { useI18n } from '../i18n/index.tsx';
import { navigate } from '../App.tsx';
import { Empty, Loaded } from '../components/ui.tsx';
import { filtersFromParams, filtersToParams, sameFilters, type LogFilters } from './log/filters.ts';
import { useLookups, type Lookups } from './log/lookups.ts';
import { FilterForm } from './log/FilterForm.tsx';
import { DeliveryTable } from './log/DeliveryTable.tsx';
import { DeliveryDetailDialog } from './log/DeliveryDetail.tsx';
import { ReplayForm } from './log/Replay.tsx';

/** The page size of the full log (the API's own default). */
const PAGE_SIZE = 20;

/**
 * The delivery log (F7): `#/log?…` with the filters in the hash, or a webhook's last 10
 * deliveries (`#/log?webhookId=…&last=10`, the seeds' quick view).
 */
export function LogScreen({ params }: { params: URLSearchParams }) {
  const lookups = useLookups();
  return <Loaded load={lookups}>{(l) => <LogView params={params} lookups={l} />}</Loaded>;
}

function LogView({ params, lookups }: { params: URLSearchParams; lookups: Lookups }) {
  const { client } = useSession();
  const { t } = useI18n();
  const paramsKey = params.toString();
  const fromHash = filtersFromParams(params);
  const lastWebhook = params.get('last') === '10' ? fromHash.webhookId : undefined;

  const [filters, setFilters] = useState<LogFilters>(fromHash);
  /** The cursor of the page shown (undefined = the first page) and its number, from 1. */
  const [page, setPage] = useState<{ after?: string; n: number }>({ n: 1 });
  const [formKey, setFormKey] = useState(0);
  const [shown, setShown] = useState<string | null>(null);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  // A new hash (a link, back/forward) is a new view: its filters, from the first page.
  useEffect(() => {
    const next = filtersFromParams(new URLSearchParams(paramsKey));
    if (!sameFilters(filtersRef.current, next)) {
      setFilters(next);
      setFormKey((k) => k + 1);
    }
    setPage({ n: 1 });
  }, [paramsKey]);

  const filterKey = JSON.stringify(filtersToParams(filters));
  const deliveries = useLoad(async () => {
    if (lastWebhook) {
      return call(client.GET('/v1/webhooks/{webhookId}/deliveries', { params: { path: { webhookId: lastWebhook }, query: { limit: 10 } } }));
    }
    return call(client.GET('/v1/deliveries', { params: { query: { ...filters, limit: PAGE_SIZE, ...(page.after ? { after: page.after } : {}) } } }));
  }, [client, lastWebhook, filterKey, page.after]);

  function apply(f: LogFilters) {
    setFilters(f);
    setPage({ n: 1 });
    navigate('log', filtersToParams(f));
  }

  const replayWebhook = lastWebhook ?? filters.webhookId;
  const tableLabel = lastWebhook ? t('log.lastTitle', { webhook: lookups.webhookName(lastWebhook) }) : t('log.tableLabel');
  return (
    <>
      {lastWebhook ? (
        <>
          <h1>{t('log.lastTitle', { webhook: lookups.webhookName(lastWebhook) })}</h1>
          <p>
            <a href={`#/log?${new URLSearchParams({ webhookId: lastWebhook }).toString()}`}>{t('log.openFullLog')}</a>
          </p>
        </>
      ) : (
        <>
          <h1>{t('log.title')}</h1>
          <FilterForm key={formKey} applied={filters} lookups={lookups} onApply={apply} />
        </>
      )}
      <Loaded load={deliveries}>
        {(list) => (
          <>
            {list.data.length === 0 ? (
              <Empty>{Object.keys(filtersToParams(filters)).length > 0 && !lastWebhook ? t('log.emptyFiltered') : t('log.empty')}</Empty>
            ) : (
              <DeliveryTable deliveries={list.data} label={tableLabel} webhookName={lookups.webhookName} onShow={setShown} />
            )}
            {lastWebhook ? null : (
              <nav className="log-paging toolbar" aria-label={t('log.paging')}>
                <button type="button" disabled={page.n === 1} onClick={() => setPage({ n: 1 })}>
                  {t('common.first')}
                </button>
                <span className="muted">{t('log.page', { n: page.n })}</span>
                <button type="button" disabled={!list.nextCursor} onClick={() => list.nextCursor && setPage({ after: list.nextCursor, n: page.n + 1 })}>
                  {t('common.next')}
                </button>
              </nav>
            )}
          </>
        )}
      </Loaded>
      {replayWebhook ? (
        <ReplayForm key={replayWebhook} webhookId={replayWebhook} webhookName={lookups.webhookName(replayWebhook)} onReplayed={deliveries.reload} />
      ) : (
        <p className="muted log-replay-hint">{t('log.replay.pickWebhook')}</p>
      )}
      {shown ? <DeliveryDetailDialog id={shown} webhookName={lookups.webhookName} onClose={() => setShown(null)} onChanged={deliveries.reload} /> : null}
    </>
  );
}
