import { useT } from '../../i18n/index.tsx';
import { Field } from '../../components/ui.tsx';
import { exactAt, newRow, pointerSegment, type FieldProblem, type KeyValue } from './form.ts';

/**
 * Name/value rows (extra headers, a plugin's map of headers), with add and remove. `base` is the
 * JSON Pointer of the map (`/headers`, `/auth/headers`): the API's error about a row is shown beside it.
 * With `secretRows`, each row has a "secret" checkbox: a secret row is typed as a password, its
 * errors are those at `secretRows.base`, and a stored one (masked) shows as set, kept unless a
 * new value is typed.
 */
export function KeyValueRows({
  rows,
  onChange,
  base,
  problems,
  secret,
  maskedHint,
  secretRows,
}: {
  rows: KeyValue[];
  onChange(rows: KeyValue[]): void;
  base: string;
  problems: FieldProblem[];
  /** Values are secrets: typed as passwords. */
  secret?: boolean;
  /** The hint beside a value the API did not show. */
  maskedHint: string;
  /** Rows may be marked secret (the webhook's `secretHeaders`). */
  secretRows?: { base: string; storedHint: string };
}) {
  const t = useT();
  const set = (id: number, patch: Partial<KeyValue>) => onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  return (
    <div className="kv">
      {rows.length === 0 ? <p className="muted">{t('webhooks.headers.none')}</p> : null}
      <ul className="kv-rows">
        {rows.map((r) => {
          const rowBase = r.secret && secretRows ? secretRows.base : base;
          const error = r.name ? exactAt(problems, `${rowBase}/${pointerSegment(r.name.trim())}`) : undefined;
          const hidden = secret || r.secret || r.masked;
          const hint = r.masked ? (r.secret && secretRows ? secretRows.storedHint : maskedHint) : undefined;
          return (
            <li key={r.id} className={secretRows ? 'kv-row kv-row-secret' : 'kv-row'}>
              <Field label={t('webhooks.headers.name')} error={error}>
                {(p) => <input {...p} value={r.name} autoComplete="off" spellCheck={false} onChange={(e) => set(r.id, { name: e.target.value })} />}
              </Field>
              <Field label={t('webhooks.headers.value')} {...(hint ? { hint } : {})}>
                {(p) => (
                  <input
                    {...p}
                    {...(error ? { 'aria-invalid': true } : {})}
                    type={hidden ? 'password' : 'text'}
                    autoComplete={hidden ? 'new-password' : 'off'}
                    {...(r.secret && r.masked ? { placeholder: t('webhooks.headers.storedPlaceholder') } : {})}
                    value={r.value}
                    onChange={(e) => set(r.id, { value: e.target.value })}
                  />
                )}
              </Field>
              {secretRows ? (
                <label className="kv-secret">
                  <input type="checkbox" checked={r.secret === true} onChange={(e) => set(r.id, { secret: e.target.checked })} /> {t('webhooks.headers.secret')}
                </label>
              ) : null}
              <button type="button" className="kv-remove" onClick={() => onChange(rows.filter((x) => x.id !== r.id))}>
                {t('webhooks.headers.remove', { name: r.name || t('webhooks.headers.unnamed') })}
              </button>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={() => onChange([...rows, newRow()])}>
        {t('webhooks.headers.add')}
      </button>
    </div>
  );
}
