import { useT } from '../../i18n/index.tsx';
import { Field } from '../../components/ui.tsx';
import { exactAt, newRow, pointerSegment, type FieldProblem, type KeyValue } from './form.ts';

/**
 * Name/value rows (extra headers, a plugin's map of headers), with add and remove. `base` is the
 * JSON Pointer of the map (`/headers`, `/auth/headers`): the API's error about a row is shown beside it.
 */
export function KeyValueRows({
  rows,
  onChange,
  base,
  problems,
  secret,
  maskedHint,
}: {
  rows: KeyValue[];
  onChange(rows: KeyValue[]): void;
  base: string;
  problems: FieldProblem[];
  /** Values are secrets: typed as passwords. */
  secret?: boolean;
  /** The hint beside a value the API did not show. */
  maskedHint: string;
}) {
  const t = useT();
  const set = (id: number, patch: Partial<KeyValue>) => onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  return (
    <div className="kv">
      {rows.length === 0 ? <p className="muted">{t('webhooks.headers.none')}</p> : null}
      <ul className="kv-rows">
        {rows.map((r) => {
          const error = r.name ? exactAt(problems, `${base}/${pointerSegment(r.name)}`) : undefined;
          return (
            <li key={r.id} className="kv-row">
              <Field label={t('webhooks.headers.name')} error={error}>
                {(p) => <input {...p} value={r.name} autoComplete="off" spellCheck={false} onChange={(e) => set(r.id, { name: e.target.value })} />}
              </Field>
              <Field label={t('webhooks.headers.value')} {...(r.masked ? { hint: maskedHint } : {})}>
                {(p) => (
                  <input
                    {...p}
                    {...(error ? { 'aria-invalid': true } : {})}
                    type={secret || r.masked ? 'password' : 'text'}
                    autoComplete={secret || r.masked ? 'new-password' : 'off'}
                    value={r.value}
                    onChange={(e) => set(r.id, { value: e.target.value })}
                  />
                )}
              </Field>
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
