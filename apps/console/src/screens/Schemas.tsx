import { useState } from 'react';
import { call, useLoad } from '../api.ts';
import { useSession } from '../session.tsx';
import { useI18n } from '../i18n/index.tsx';
import { ConfirmDialog, Empty, Loaded, WriteButton } from '../components/ui.tsx';
import { CONTENT_TYPES, loadEventTypes, loadSchemas, type PayloadSchema } from './schemas/model.ts';
import { SchemaEditor } from './schemas/SchemaEditor.tsx';

/** Payload schemas (F3): the list, and an editor with placeholders and a live preview. */
export function SchemasScreen() {
  const { t, formatDateTime } = useI18n();
  const { client } = useSession();
  const load = useLoad(async () => {
    const [schemas, eventTypes] = await Promise.all([loadSchemas(client), loadEventTypes(client)]);
    return { schemas, eventTypes };
  }, [client]);
  const [editing, setEditing] = useState<{ schema: PayloadSchema | null } | null>(null);
  const [deleting, setDeleting] = useState<PayloadSchema | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  return (
    <>
      <div className="toolbar">
        <h1>{t('nav.schemas')}</h1>
        <span className="spacer" />
        <WriteButton className="primary" onClick={() => setEditing({ schema: null })}>
          {t('schemas.add')}
        </WriteButton>
      </div>
      <p className="muted">{t('schemas.intro')}</p>
      {saved ? (
        <p className="notice" role="status">
          {t('schemas.saved', { name: saved })}
        </p>
      ) : null}
      <Loaded load={load}>
        {({ schemas, eventTypes }) => (
          <>
            {schemas.length === 0 ? (
              <Empty>{t('schemas.empty')}</Empty>
            ) : (
              <table>
                <caption className="visually-hidden">{t('nav.schemas')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('schemas.name')}</th>
                    <th scope="col">{t('schemas.contentType')}</th>
                    <th scope="col">{t('schemas.eventType')}</th>
                    <th scope="col">{t('schemas.updated')}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t('schemas.actions')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {schemas.map((s) => {
                    const ct = CONTENT_TYPES.find((c) => c.value === s.contentType);
                    return (
                      <tr key={s.id}>
                        <th scope="row">
                          {s.name}
                          {s.description ? <div className="muted">{s.description}</div> : null}
                        </th>
                        <td>{ct ? t(ct.labelKey) : s.contentType}</td>
                        <td>{s.eventTypes.length > 0 ? s.eventTypes.join(', ') : <span className="muted">—</span>}</td>
                        <td>{formatDateTime(s.updatedAt)}</td>
                        <td>
                          <div className="row-actions">
                            <button type="button" onClick={() => setEditing({ schema: s })} aria-label={t('schemas.editNamed', { name: s.name })}>
                              {t('common.edit')}
                            </button>
                            <WriteButton className="danger" onClick={() => setDeleting(s)} aria-label={t('schemas.deleteNamed', { name: s.name })}>
                              {t('common.delete')}
                            </WriteButton>
                          </div>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
            {editing ? (
              <SchemaEditor
                schema={editing.schema}
                eventTypes={eventTypes}
                onClose={() => setEditing(null)}
                onSaved={(s) => {
                  setEditing(null);
                  setSaved(s.name);
                  load.reload();
                }}
              />
            ) : null}
          </>
        )}
      </Loaded>
      {deleting ? (
        <ConfirmDialog
          title={t('common.confirmTitle')}
          message={t('schemas.deleteConfirm', { name: deleting.name })}
          confirmLabel={t('common.delete')}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await call(client.DELETE('/v1/schemas/{schemaId}', { params: { path: { schemaId: deleting.id } } }));
            setDeleting(null);
            setSaved(null);
            load.reload();
          }}
        />
      ) : null}
    </>
  );
}
