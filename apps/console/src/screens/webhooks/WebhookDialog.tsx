import { useState, type FormEvent } from 'react';
import { useT } from '../../i18n/index.tsx';
import { useSession } from '../../session.tsx';
import { ApiError, call, useLoad } from '../../api.ts';
import { Dialog, ErrorMessage, Field, Loaded, Switch, TabPanel, Tabs, WriteButton, FieldErrorList } from '../../components/ui.tsx';
import { AuthFields } from './AuthFields.tsx';
import { KeyValueRows } from './KeyValueRows.tsx';
import { SecretTab } from './SecretTab.tsx';
import { allEventTypes, allSchemas, plugins as loadPlugins } from './data.ts';
import {
  createBody,
  emptyForm,
  formOf,
  messageAt,
  METHODS,
  tabOf,
  updateBody,
  type FieldProblem,
  type FormMessages,
  type FormState,
  type HttpMethod,
  type Plugin,
  type TabKey,
  type Webhook,
} from './form.ts';
import type { components } from '@herald/api-spec';

type S = components['schemas'];

interface Catalogs {
  plugins: Plugin[];
  eventTypes: S['EventType'][];
  schemas: S['PayloadSchema'][];
}

/** Add (no `webhook`) or edit a webhook, in a wide dialog with the tabs of the seeds. */
export function WebhookDialog({ webhook, onClose, onSaved }: { webhook?: Webhook; onClose(): void; onSaved(w: Webhook): void }) {
  const t = useT();
  const { client } = useSession();
  const load = useLoad<Catalogs>(async () => {
    const [p, e, s] = await Promise.all([loadPlugins(client), allEventTypes(client), allSchemas(client)]);
    return { plugins: p, eventTypes: e, schemas: s };
  }, [client]);
  return (
    <Dialog wide title={webhook ? t('webhooks.dialog.editTitle', { name: webhook.name }) : t('webhooks.dialog.addTitle')} onClose={onClose}>
      <Loaded load={load}>{(c) => <WebhookForm catalogs={c} {...(webhook ? { webhook } : {})} onClose={onClose} onSaved={onSaved} />}</Loaded>
    </Dialog>
  );
}

function WebhookForm({ catalogs, webhook, onClose, onSaved }: { catalogs: Catalogs; webhook?: Webhook; onClose(): void; onSaved(w: Webhook): void }) {
  const t = useT();
  const { client } = useSession();
  const [initial] = useState<FormState>(() => (webhook ? formOf(webhook, catalogs.plugins) : emptyForm()));
  const [form, setForm] = useState<FormState>(initial);
  const [tab, setTab] = useState<TabKey>('details');
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [detail, setDetail] = useState<string | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const err = (pointer: string) => messageAt(problems, pointer);

  const msg: FormMessages = {
    retryNumbers: t('webhooks.form.retryNumbers'),
    retryCannotClear: t('webhooks.form.retryCannotClear'),
    retypeSecret: t('webhooks.form.retypeSecret'),
    retypeHeader: t('webhooks.form.retypeHeader'),
    retypeSecretHeader: t('webhooks.form.retypeSecretHeader'),
    number: t('webhooks.form.number'),
  };

  function showProblems(list: FieldProblem[], text: string) {
    setProblems(list);
    setDetail(text);
    const tabs = new Set(list.map((p) => tabOf(p.field)));
    if (tabs.size > 0 && !tabs.has(tab)) setTab((['details', 'auth', 'headers', 'secret'] as TabKey[]).find((k) => tabs.has(k))!);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFailure(null);
    const { body, problems: local } = webhook ? updateBody(form, initial, catalogs.plugins, msg) : createBody(form, catalogs.plugins, msg);
    if (local.length > 0) {
      showProblems(local, t('errors.fields'));
      return;
    }
    setBusy(true);
    try {
      const saved = webhook
        ? await call(client.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: webhook.id } }, body: body as S['WebhookUpdate'] }))
        : await call(client.POST('/v1/webhooks', { body: body as S['WebhookCreate'] }));
      onSaved(saved);
    } catch (error) {
      setBusy(false);
      if (error instanceof ApiError && error.status === 400 && error.problem?.errors?.length) {
        showProblems(error.problem.errors, error.problem.detail ?? error.message);
      } else {
        setProblems([]);
        setDetail(null);
        setFailure(error as Error);
      }
    }
  }

  const invalid = (k: TabKey) => problems.some((p) => tabOf(p.field) === k);
  const tabs: { key: TabKey; label: string; invalid?: boolean }[] = [
    { key: 'details', label: t('webhooks.tab.details'), invalid: invalid('details') },
    { key: 'auth', label: t('webhooks.tab.auth'), invalid: invalid('auth') },
    { key: 'headers', label: t('webhooks.tab.headers'), invalid: invalid('headers') },
    ...(webhook ? [{ key: 'secret' as const, label: t('webhooks.tab.secret'), invalid: invalid('secret') }] : []),
  ];
  const liveTypes = catalogs.eventTypes.filter((et) => !et.archived || form.eventTypes.includes(et.name));
  const unknownTypes = form.eventTypes.filter((n) => !catalogs.eventTypes.some((et) => et.name === n));
  const schemaKnown = form.schema === '' || catalogs.schemas.some((s) => s.id === form.schema);

  return (
    <form onSubmit={submit} noValidate>
      {detail ? (
        <div className="state state-error" role="alert">
          <strong>{detail}</strong>
          <FieldErrorList errors={problems} />
        </div>
      ) : null}
      {failure ? <ErrorMessage error={failure} /> : null}
      <Tabs<TabKey> label={t('webhooks.dialog.tabs')} tabs={tabs} active={tab} onChange={setTab} />
      <TabPanel id="details" active={tab}>
        <div className="split">
          <div>
            <Field label={t('webhooks.field.name')} error={err('/name')}>
              {(p) => <input {...p} value={form.name} onChange={(e) => set('name', e.target.value)} />}
            </Field>
            <Field label={t('webhooks.field.description')} error={err('/description')}>
              {(p) => <textarea {...p} rows={2} value={form.description} onChange={(e) => set('description', e.target.value)} />}
            </Field>
            <Field label={t('webhooks.field.url')} error={err('/url')} hint={t('webhooks.field.urlHint')}>
              {(p) => <input {...p} type="url" inputMode="url" spellCheck={false} value={form.url} onChange={(e) => set('url', e.target.value)} />}
            </Field>
            <Field label={t('webhooks.field.method')} error={err('/method')}>
              {(p) => (
                <select {...p} value={form.method} onChange={(e) => set('method', e.target.value as HttpMethod)}>
                  {METHODS.map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <div className="field">
              <span className="field-label" aria-hidden="true">
                {t('webhooks.field.active')}
              </span>
              <span className="switch-row">
                <Switch checked={form.active} onChange={(v) => set('active', v)} label={t('webhooks.field.active')} />
                <span aria-hidden="true">{form.active ? t('webhooks.on') : t('webhooks.off')}</span>
              </span>
              {err('/active') ? <small className="field-error">{err('/active')}</small> : null}
            </div>
            <Field label={t('webhooks.field.schema')} error={err('/schema')}>
              {(p) => (
                <select {...p} value={form.schema} onChange={(e) => set('schema', e.target.value)}>
                  <option value="">{t('webhooks.field.schemaNone')}</option>
                  {schemaKnown ? null : <option value={form.schema}>{form.schema}</option>}
                  {catalogs.schemas.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name} ({s.contentType})
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={t('webhooks.field.dedup')} error={err('/dedupWindowSeconds')} hint={t('webhooks.field.dedupHint')}>
              {(p) => <input {...p} type="number" min={0} max={86400} value={form.dedupWindowSeconds} onChange={(e) => set('dedupWindowSeconds', e.target.value)} />}
            </Field>
            <Field label={t('webhooks.field.retry')} error={err('/retry')} hint={t('webhooks.field.retryHint')}>
              {(p) => <input {...p} inputMode="numeric" placeholder="5, 30, 120, 300, 900" value={form.retry} onChange={(e) => set('retry', e.target.value)} />}
            </Field>
          </div>
          <div>
            <fieldset className={err('/eventTypes') ? 'field-invalid' : undefined} aria-describedby="wh-event-types-hint">
              <legend>{t('webhooks.field.eventTypes')}</legend>
              <small className="hint" id="wh-event-types-hint">
                {t('webhooks.field.eventTypesHint')}
              </small>
              {liveTypes.length === 0 && unknownTypes.length === 0 ? <p className="muted">{t('webhooks.field.noEventTypes')}</p> : null}
              <ul className="checklist">
                {[...liveTypes.map((et) => ({ name: et.name, description: et.description, archived: et.archived })), ...unknownTypes.map((n) => ({ name: n, description: '', archived: false }))].map((et) => (
                  <li key={et.name}>
                    <label>
                      <input
                        type="checkbox"
                        checked={form.eventTypes.includes(et.name)}
                        onChange={(e) => set('eventTypes', e.target.checked ? [...form.eventTypes, et.name] : form.eventTypes.filter((n) => n !== et.name))}
                      />{' '}
                      <code>{et.name}</code>
                      {et.archived ? ` (${t('webhooks.field.archived')})` : ''}
                      {et.description ? <span className="muted"> — {et.description}</span> : null}
                    </label>
                  </li>
                ))}
              </ul>
              {err('/eventTypes') ? <small className="field-error">{err('/eventTypes')}</small> : null}
            </fieldset>
            <fieldset className={err('/projects') ? 'field-invalid' : undefined}>
              <legend>{t('webhooks.field.projects')}</legend>
              <label className="radio">
                <input type="radio" name="wh-projects" checked={form.projectsMode === 'all'} onChange={() => set('projectsMode', 'all')} /> {t('webhooks.field.allProjects')}
              </label>
              <label className="radio">
                <input type="radio" name="wh-projects" checked={form.projectsMode === 'only'} onChange={() => set('projectsMode', 'only')} /> {t('webhooks.field.onlyProjects')}
              </label>
              {form.projectsMode === 'only' ? (
                <>
                  <textarea
                    aria-label={t('webhooks.field.projects')}
                    aria-describedby="wh-projects-hint"
                    {...(err('/projects') ? { 'aria-invalid': true } : {})}
                    rows={3}
                    spellCheck={false}
                    value={form.projects}
                    onChange={(e) => set('projects', e.target.value)}
                  />
                  <small className="hint" id="wh-projects-hint">
                    {t('webhooks.field.projectsHint')}
                  </small>
                </>
              ) : null}
              {err('/projects') ? <small className="field-error">{err('/projects')}</small> : null}
            </fieldset>
          </div>
        </div>
      </TabPanel>
      <TabPanel id="auth" active={tab}>
        {problems.some((p) => p.field === '/auth') ? <p className="field-error">{problems.find((p) => p.field === '/auth')!.message}</p> : null}
        <AuthFields
          plugins={catalogs.plugins}
          type={form.authType}
          values={form.auth}
          onChange={(type, values) => setForm((f) => ({ ...f, authType: type, auth: values }))}
          problems={problems}
          editing={!!webhook}
        />
      </TabPanel>
      <TabPanel id="headers" active={tab}>
        <p className="muted">{t('webhooks.headers.intro')}</p>
        {problems
          .filter((p) => p.field === '/headers' || p.field === '/secretHeaders')
          .map((p) => (
            <p key={p.field} className="field-error">
              {p.message}
            </p>
          ))}
        <KeyValueRows
          rows={form.headers}
          onChange={(rows) => set('headers', rows)}
          base="/headers"
          problems={problems}
          maskedHint={t('webhooks.headers.maskedHint')}
          secretRows={{ base: '/secretHeaders', storedHint: t('webhooks.headers.storedHint') }}
        />
      </TabPanel>
      {webhook ? (
        <TabPanel id="secret" active={tab}>
          <SecretTab webhook={webhook} />
        </TabPanel>
      ) : null}
      <div className="actions">
        <button type="button" onClick={onClose}>
          {t('common.cancel')}
        </button>
        <WriteButton type="submit" className="primary" disabled={busy}>
          {t('common.save')}
        </WriteButton>
      </div>
    </form>
  );
}
