import { useT } from '../../i18n/index.tsx';
import { Field } from '../../components/ui.tsx';
import { KeyValueRows } from './KeyValueRows.tsx';
import { authProperties, authValues, messageAt, type AuthValue, type FieldProblem, type KeyValue, type Plugin } from './form.ts';

const BUILT_IN = ['none', 'basic', 'bearer', 'headers'];

/**
 * The Authentication tab: the plugin picker and a form made from the plugin's config schema
 * (string → text, or password for a secret; number → number; boolean → checkbox; enum → select;
 * object → name/value rows).
 */
export function AuthFields({
  plugins,
  type,
  values,
  onChange,
  problems,
  editing,
}: {
  plugins: Plugin[];
  type: string;
  values: Record<string, AuthValue>;
  onChange(type: string, values: Record<string, AuthValue>): void;
  problems: FieldProblem[];
  /** Editing a stored webhook: its secrets are not shown, and are kept when left empty. */
  editing: boolean;
}) {
  const t = useT();
  const plugin = plugins.find((p) => p.id === type);
  const props = authProperties(plugin);
  const known = plugins.some((p) => p.id === type);
  const keepHint = t('webhooks.auth.keepHint');
  const set = (name: string, v: AuthValue) => onChange(type, { ...values, [name]: v });
  return (
    <div>
      <Field label={t('webhooks.auth.type')} error={messageAt(problems, '/auth/type')}>
        {(p) => (
          <select {...p} value={type} onChange={(e) => onChange(e.target.value, authValues(authProperties(plugins.find((x) => x.id === e.target.value))))}>
            {known ? null : <option value={type}>{type}</option>}
            {plugins.map((pl) => (
              <option key={pl.id} value={pl.id}>
                {BUILT_IN.includes(pl.id) ? `${t(`webhooks.auth.plugin.${pl.id}`)} (${pl.id})` : `${pl.id} ${pl.version}`}
              </option>
            ))}
          </select>
        )}
      </Field>
      {!known ? <p className="notice notice-warning">{t('webhooks.auth.unknownPlugin', { type })}</p> : null}
      {type === 'none' ? <p className="muted">{t('webhooks.auth.noneHint')}</p> : null}
      {props.map((prop) => {
        const v = values[prop.name];
        const pointer = `/auth/${prop.name}`;
        const hint = [prop.description, prop.secret && editing ? keepHint : ''].filter(Boolean).join(' ');
        if (prop.kind === 'map') {
          return (
            <fieldset key={prop.name}>
              <legend>{prop.label}</legend>
              {hint ? <p className="hint">{hint}</p> : null}
              {exactErr(problems, pointer)}
              <KeyValueRows rows={(v as KeyValue[] | undefined) ?? []} onChange={(rows) => set(prop.name, rows)} base={pointer} problems={problems} secret={prop.secret} maskedHint={keepHint} />
            </fieldset>
          );
        }
        if (prop.kind === 'boolean') {
          return (
            <div key={prop.name} className="field field-check">
              <label>
                <input type="checkbox" checked={v === true} onChange={(e) => set(prop.name, e.target.checked)} /> {prop.label}
              </label>
              {messageAt(problems, pointer) ? <small className="field-error">{messageAt(problems, pointer)}</small> : null}
            </div>
          );
        }
        return (
          <Field key={prop.name} label={prop.label} error={messageAt(problems, pointer)} {...(hint ? { hint } : {})}>
            {(p) =>
              prop.kind === 'enum' ? (
                <select {...p} value={String(v ?? '')} onChange={(e) => set(prop.name, e.target.value)}>
                  <option value="">—</option>
                  {prop.options.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  {...p}
                  type={prop.secret ? 'password' : prop.kind === 'number' ? 'number' : 'text'}
                  autoComplete={prop.secret ? 'new-password' : 'off'}
                  aria-required={prop.required && !(prop.secret && editing)}
                  value={String(v ?? '')}
                  onChange={(e) => set(prop.name, e.target.value)}
                />
              )
            }
          </Field>
        );
      })}
    </div>
  );
}

function exactErr(problems: FieldProblem[], pointer: string) {
  const m = problems.find((e) => e.field === pointer)?.message;
  return m ? <p className="field-error">{m}</p> : null;
}
