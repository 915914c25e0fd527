import { useId, useMemo, useState } from 'react';
import { ApiError, call } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { useT } from '../../i18n/index.tsx';
import { Dialog, ErrorMessage, Field, WriteButton, FieldErrorList } from '../../components/ui.tsx';
import type { EventType, PayloadSchema, Webhook } from '../schemas/model.ts';
import { schemaFields } from '../schemas/model.ts';
import { emptyRule, fieldOptions, formToRule, groupInput, newKey, OPERATORS, ruleToForm, type ActionForm, type ConditionForm, type Operator, type RuleForm, type RuleGroup } from './model.ts';

export interface Catalogs {
  eventTypes: EventType[];
  webhooks: Webhook[];
  schemas: PayloadSchema[];
}

/** The errors of a 400 under one pointer prefix: exact lookups, and what no field of the form shows. */
function errorsOf(err: Error | null, prefix: string) {
  const list = err instanceof ApiError && err.status === 400 ? (err.problem?.errors ?? []) : [];
  const shown = new Set<string>();
  return {
    list,
    at(pointer: string): string | undefined {
      const full = prefix + pointer;
      const e = list.find((x) => x.field === full);
      if (e) shown.add(e.field);
      return e?.message;
    },
    rest: () => list.filter((e) => !shown.has(e.field)),
  };
}

function ConditionRow({ c, index, fields, enumOf, onChange, onRemove, error }: { c: ConditionForm; index: number; fields: { path: string; type?: string }[]; enumOf(path: string): unknown[] | undefined; onChange(c: ConditionForm): void; onRemove(): void; error(p: string): string | undefined }) {
  const t = useT();
  const listId = useId();
  const options = fields.some((f) => f.path === c.field) || c.field === '' ? fields : [...fields, { path: c.field }];
  const values = enumOf(c.field);
  const noValue = c.op === 'changed';
  const hint = c.op === 'in' || c.op === 'not_in' ? t('rules.valueHint.list') : c.op === 'exists' ? t('rules.valueHint.exists') : c.op === 'changed' ? t('rules.valueHint.changed') : undefined;
  const fieldError = error('/field');
  const opError = error('/op');
  const valueError = error('/value');
  return (
    <fieldset className="rule-row">
      <legend>{t('rules.conditionN', { n: index + 1 })}</legend>
      <div className="field-row">
        <Field label={t('rules.field')} error={fieldError}>
          {(p) => (
            <select {...p} value={c.field} onChange={(e) => onChange({ ...c, field: e.target.value })}>
              <option value="">{t('rules.chooseField')}</option>
              {options.map((f) => (
                <option key={f.path} value={f.path}>
                  {f.path}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('rules.operator')} error={opError}>
          {(p) => (
            <select {...p} value={c.op} onChange={(e) => onChange({ ...c, op: e.target.value as Operator })}>
              {OPERATORS.map((op) => (
                <option key={op} value={op}>
                  {t(`rules.op.${op}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('rules.value')} error={valueError} {...(hint ? { hint } : {})}>
          {(p) => (
            <>
              <input {...p} value={noValue ? '' : c.value} disabled={noValue} onChange={(e) => onChange({ ...c, value: e.target.value })} {...(values ? { list: listId } : {})} />
              {values ? (
                <datalist id={listId}>
                  {values.map((v) => (
                    <option key={String(v)} value={typeof v === 'string' ? v : JSON.stringify(v)} />
                  ))}
                </datalist>
              ) : null}
            </>
          )}
        </Field>
        <button type="button" onClick={onRemove} aria-label={t('rules.removeConditionN', { n: index + 1 })}>
          {t('common.remove')}
        </button>
      </div>
    </fieldset>
  );
}

function ActionRow({ a, index, catalogs, onChange, onRemove, error }: { a: ActionForm; index: number; catalogs: Catalogs; onChange(a: ActionForm): void; onRemove(): void; error(p: string): string | undefined }) {
  const t = useT();
  const webhook = catalogs.webhooks.find((w) => w.id === a.webhook);
  const defaultSchema = webhook?.schema;
  const webhookError = error('/webhook');
  const schemaError = error('/schema');
  return (
    <fieldset className="rule-row">
      <legend>{t('rules.actionN', { n: index + 1 })}</legend>
      <div className="field-row">
        <Field label={t('rules.webhook')} error={webhookError}>
          {(p) => (
            <select
              {...p}
              value={a.webhook}
              onChange={(e) => {
                const w = catalogs.webhooks.find((x) => x.id === e.target.value);
                onChange({ ...a, webhook: e.target.value, ...(a.schemaTouched ? {} : { schema: w?.schema ?? '' }) });
              }}
            >
              <option value="">{t('rules.chooseWebhook')}</option>
              {catalogs.webhooks.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.active ? w.name : t('rules.inactiveWebhook', { name: w.name })}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('rules.schema')} error={schemaError}>
          {(p) => (
            <select {...p} value={a.schema} onChange={(e) => onChange({ ...a, schema: e.target.value, schemaTouched: true })}>
              <option value="">{t('rules.defaultPayload')}</option>
              {catalogs.schemas.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.id === defaultSchema ? t('rules.webhookDefault', { name: s.name }) : s.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="button" onClick={onRemove} aria-label={t('rules.removeActionN', { n: index + 1 })}>
          {t('common.remove')}
        </button>
      </div>
    </fieldset>
  );
}

/** Adds or edits one rule of a group; saving replaces the group (PUT) with the rule in its place. */
export function RuleEditor({ group, index, catalogs, onClose, onSaved }: { group: RuleGroup; index: number | null; catalogs: Catalogs; onClose(): void; onSaved(g: RuleGroup): void }) {
  const t = useT();
  const { client } = useSession();
  const existing = index === null ? undefined : group.rules[index];
  const [form, setForm] = useState<RuleForm>(() => (existing ? ruleToForm(existing) : emptyRule()));
  const [error, setError] = useState<Error | null>(null);
  const [saving, setSaving] = useState(false);
  const matchId = useId();
  const at = index ?? group.rules.length;

  const types = useMemo(() => {
    const names = [form.eventType, ...form.otherEventTypes].filter(Boolean);
    return catalogs.eventTypes.filter((e) => names.includes(e.name));
  }, [form.eventType, form.otherEventTypes, catalogs.eventTypes]);
  const fields = useMemo(() => fieldOptions(types.length > 0 ? types : []), [types]);
  const enumOf = (path: string): unknown[] | undefined => {
    if (path === 'type') return catalogs.eventTypes.map((e) => e.name);
    if (path === 'action') return ['new', 'update', 'delete'];
    if (!path.startsWith('data.')) return undefined;
    for (const et of types) {
      const f = schemaFields(et.schema).find((x) => `data.${x.path}` === path);
      if (f?.enum) return f.enum;
    }
    return undefined;
  };

  const errs = errorsOf(error, `/rules/${at}`);
  const setCondition = (i: number, c: ConditionForm) => setForm((f) => ({ ...f, conditions: f.conditions.map((x, j) => (j === i ? c : x)) }));
  const setAction = (i: number, a: ActionForm) => setForm((f) => ({ ...f, actions: f.actions.map((x, j) => (j === i ? a : x)) }));

  async function save() {
    // What the form can tell by itself, beside its fields, before the API is asked.
    const local = [
      ...form.conditions.flatMap((c, j) => (c.field === '' ? [{ field: `/rules/${at}/conditions/${j}/field`, message: t('rules.required.field') }] : [])),
      ...form.actions.flatMap((a, k) => (a.webhook === '' ? [{ field: `/rules/${at}/actions/${k}/webhook`, message: t('rules.required.webhook') }] : [])),
    ];
    if (local.length > 0) {
      setError(new ApiError(400, { type: 'about:blank', title: 'Bad Request', status: 400, errors: local }));
      return;
    }
    setSaving(true);
    setError(null);
    const rule = formToRule(form, fields);
    const rules = [...group.rules];
    if (index === null) rules.push(rule);
    else rules[index] = rule;
    try {
      const saved = await call(client.PUT('/v1/rule-groups/{ruleGroupId}', { params: { path: { ruleGroupId: group.id } }, body: groupInput({ ...group, rules }) }));
      onSaved(saved);
    } catch (err) {
      setError(err as Error);
      setSaving(false);
    }
  }

  // Read every field error first, so what no field shows is known for the summary.
  const nameError = errs.at('/name');
  const eventTypesError = errs.at('/eventTypes') ?? errs.at('/eventTypes/0');
  const matchError = errs.at('/match');
  const conditionsError = errs.at('/conditions');
  const actionsError = errs.at('/actions');
  const conditionErrors = form.conditions.map((_, j) => (p: string) => errs.at(`/conditions/${j}${p}`));
  const actionErrors = form.actions.map((_, k) => (p: string) => errs.at(`/actions/${k}${p}`));
  // Rendering the rows reads their errors: compute them now for `rest` to be right.
  const rowErrors = {
    conditions: form.conditions.map((_, j) => ({ field: conditionErrors[j]!('/field'), op: conditionErrors[j]!('/op'), value: conditionErrors[j]!('/value') })),
    actions: form.actions.map((_, k) => ({ webhook: actionErrors[k]!('/webhook'), schema: actionErrors[k]!('/schema') })),
  };
  const rest = errs.rest();

  return (
    <Dialog title={existing ? t('rules.editRuleTitle', { group: group.name }) : t('rules.addRuleTitle', { group: group.name })} onClose={onClose} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {error && errs.list.length === 0 ? <ErrorMessage error={error} /> : null}
        {errs.list.length > 0 ? (
          <div className="state state-error" role="alert">
            <p>{t('errors.fields')}</p>
            <FieldErrorList errors={rest} />
          </div>
        ) : null}
        <div className="field-row">
          <Field label={t('rules.ruleName')} error={nameError}>
            {(p) => <input {...p} value={form.name} maxLength={200} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
          </Field>
          <Field label={t('rules.eventType')} error={eventTypesError} hint={t('rules.eventTypeHint')}>
            {(p) => (
              <select {...p} value={form.eventType} onChange={(e) => setForm({ ...form, eventType: e.target.value })}>
                <option value="">{t('rules.anyEventType')}</option>
                {catalogs.eventTypes
                  .filter((e) => !e.archived || e.name === form.eventType)
                  .map((e) => (
                    <option key={e.name} value={e.name}>
                      {e.name}
                    </option>
                  ))}
              </select>
            )}
          </Field>
        </div>
        {form.otherEventTypes.length > 0 ? <p className="hint">{t('rules.otherEventTypes', { types: form.otherEventTypes.join(', ') })}</p> : null}

        <h3>{t('rules.conditions')}</h3>
        <fieldset className="match">
          <legend id={matchId}>{t('rules.match')}</legend>
          <label>
            <input type="radio" name={`${matchId}-match`} checked={form.match === 'all'} onChange={() => setForm({ ...form, match: 'all' })} /> {t('rules.matchAll')}
          </label>
          <label>
            <input type="radio" name={`${matchId}-match`} checked={form.match === 'any'} onChange={() => setForm({ ...form, match: 'any' })} /> {t('rules.matchAny')}
          </label>
          {matchError ? <small className="field-error">{matchError}</small> : null}
        </fieldset>
        {form.conditions.length === 0 ? <p className="muted">{form.match === 'all' ? t('rules.noConditionsAll') : t('rules.noConditionsAny')}</p> : null}
        {form.conditions.map((c, j) => (
          <ConditionRow
            key={c.key}
            c={c}
            index={j}
            fields={fields}
            enumOf={enumOf}
            onChange={(nc) => setCondition(j, nc)}
            onRemove={() => setForm({ ...form, conditions: form.conditions.filter((_, x) => x !== j) })}
            error={(p) => rowErrors.conditions[j]?.[p.slice(1) as 'field' | 'op' | 'value']}
          />
        ))}
        {conditionsError ? <p className="field-error">{conditionsError}</p> : null}
        <button type="button" onClick={() => setForm({ ...form, conditions: [...form.conditions, { key: newKey(), field: '', op: 'equals', value: '' }] })}>
          {t('rules.addCondition')}
        </button>

        <div className="stop-flags">
          <label className="checkbox">
            <input type="checkbox" checked={form.stopRules} onChange={(e) => setForm({ ...form, stopRules: e.target.checked })} /> {t('rules.stopRules')}
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={form.stopGroups} onChange={(e) => setForm({ ...form, stopGroups: e.target.checked })} /> {t('rules.stopGroups')}
          </label>
        </div>

        <h3>{t('rules.actions')}</h3>
        {catalogs.webhooks.length === 0 ? <p className="notice notice-warning">{t('rules.noWebhooks')}</p> : null}
        {form.actions.map((a, k) => (
          <ActionRow
            key={a.key}
            a={a}
            index={k}
            catalogs={catalogs}
            onChange={(na) => setAction(k, na)}
            onRemove={() => setForm({ ...form, actions: form.actions.filter((_, x) => x !== k) })}
            error={(p) => rowErrors.actions[k]?.[p.slice(1) as 'webhook' | 'schema']}
          />
        ))}
        {actionsError ? <p className="field-error">{actionsError}</p> : null}
        <button type="button" onClick={() => setForm({ ...form, actions: [...form.actions, { key: newKey(), webhook: '', schema: '', schemaTouched: false }] })}>
          {t('rules.addAction')}
        </button>

        <div className="actions">
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <WriteButton type="submit" className="primary" disabled={saving}>
            {t('common.save')}
          </WriteButton>
        </div>
      </form>
    </Dialog>
  );
}
