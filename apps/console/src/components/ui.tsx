import { useEffect, useId, useRef, useState, type ButtonHTMLAttributes, type ReactNode } from 'react';
import { useT } from '../i18n/index.tsx';
import { useCanWrite } from '../session.tsx';
import { ApiError, NetworkError, type Load } from '../api.ts';

export function Loading() {
  const t = useT();
  return (
    <p className="state state-loading" role="status">
      {t('common.loading')}
    </p>
  );
}

/** The error of a failed load or action, in words a user reads; the API's own detail beside it. */
export function ErrorMessage({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const t = useT();
  let text: string;
  if (error instanceof NetworkError) text = t('errors.network');
  else if (error instanceof ApiError && error.status === 401) text = t('errors.unauthorized');
  else if (error instanceof ApiError && error.status === 403 && /not enabled/.test(error.problem?.detail ?? '')) text = t('errors.planOff');
  else text = error.message;
  return (
    <div className="state state-error" role="alert">
      <strong>{t('errors.title')}</strong>
      <p>{text}</p>
      {error instanceof ApiError && error.problem?.errors && error.problem.errors.length > 0 ? (
        <ul>
          {error.problem.errors.map((e) => (
            <li key={e.field + e.message}>
              <code>{e.field}</code> {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          {t('common.retry')}
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** Renders a load: loading, error (with retry) or the data. */
export function Loaded<T>({ load, children }: { load: Load<T>; children: (data: T) => ReactNode }) {
  if (load.state === 'loading') return <Loading />;
  if (load.state === 'error') return <ErrorMessage error={load.error} onRetry={load.reload} />;
  return <>{children(load.data)}</>;
}

/**
 * A button that changes something: disabled for a `read` key, with the reason given to
 * everyone (a tooltip and, for screen readers, its description).
 */
export function WriteButton({ children, disabled, ...rest }: ButtonHTMLAttributes<HTMLButtonElement>) {
  const canWrite = useCanWrite();
  const t = useT();
  const reasonId = useId();
  if (canWrite) {
    return (
      <button type="button" disabled={disabled} {...rest}>
        {children}
      </button>
    );
  }
  return (
    <>
      <button type="button" {...rest} disabled aria-describedby={reasonId} title={t('common.needsAdmin')} onClick={undefined}>
        {children}
      </button>
      <span id={reasonId} className="visually-hidden">
        {t('common.needsAdmin')}
      </span>
    </>
  );
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** A modal dialog: focus moves in and stays in, Escape closes it, focus goes back where it was. */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose(): void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const t = useT();
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? ref.current)?.focus();
    return () => before?.focus();
  }, []);
  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }
  return (
    <div className="backdrop">
      <div ref={ref} className={wide ? 'dialog dialog-wide' : 'dialog'} role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} onKeyDown={onKeyDown}>
        <header className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon" onClick={onClose} aria-label={t('common.close')}>
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

/** Asks before something that cannot be undone. */
export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onCancel }: { title: string; message: string; confirmLabel: string; onConfirm(): Promise<void> | void; onCancel(): void }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  return (
    <Dialog title={title} onClose={onCancel}>
      <p>{message}</p>
      <p>
        <strong>{t('common.cannotUndo')}</strong>
      </p>
      {error ? <ErrorMessage error={error} /> : null}
      <div className="actions">
        <button type="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await onConfirm();
            } catch (err) {
              setError(err as Error);
              setBusy(false);
            }
          }}
        >
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** Tabs with the ARIA tabs pattern: arrow keys move between them. */
export function Tabs<K extends string>({ tabs, active, onChange, label }: { tabs: { key: K; label: string; invalid?: boolean }[]; active: K; onChange(k: K): void; label: string }) {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((tab, i) => (
        <button
          key={tab.key}
          ref={(el) => {
            refs.current[tab.key] = el;
          }}
          type="button"
          role="tab"
          id={`tab-${tab.key}`}
          aria-controls={`panel-${tab.key}`}
          aria-selected={tab.key === active}
          tabIndex={tab.key === active ? 0 : -1}
          className={tab.invalid ? 'tab tab-invalid' : 'tab'}
          onClick={() => onChange(tab.key)}
          onKeyDown={(e) => {
            const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
            if (!d) return;
            const next = tabs[(i + d + tabs.length) % tabs.length]!;
            onChange(next.key);
            refs.current[next.key]?.focus();
          }}
        >
          {tab.label}
          {tab.invalid ? ' ⚠' : ''}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ id, active, children }: { id: string; active: string; children: ReactNode }) {
  return (
    <div role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} hidden={id !== active} className="tabpanel">
      {id === active ? children : null}
    </div>
  );
}

/** A labelled field with its error from the API beside it (aria-invalid, aria-describedby). */
export function Field({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: string; children: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode }) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ');
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(error ? { 'aria-invalid': true } : {}), ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
      {hint ? (
        <small id={hintId} className="hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={errorId} className="field-error">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** An on/off switch (role="switch"). */
export function Switch({ checked, onChange, label, disabled, describedBy }: { checked: boolean; onChange(v: boolean): void; label: string; disabled?: boolean; describedBy?: string }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      disabled={disabled}
      className={checked ? 'switch switch-on' : 'switch'}
      onClick={() => onChange(!checked)}
      {...(describedBy ? { 'aria-describedby': describedBy } : {})}
    >
      <span className="switch-knob" aria-hidden="true" />
    </button>
  );
}

/** A status as a badge (succeeded, failed, pending, …), the word always shown beside the colour. */
export function StatusBadge({ status, label }: { status: string; label: string }) {
  return <span className={`badge badge-${status}`}>{label}</span>;
}

/** The field errors of a problem that no field shows beside itself, as a list of pointer and message. */
export function FieldErrorList({ errors }: { errors: { field: string; message: string }[] }) {
  if (errors.length === 0) return null;
  return (
    <ul>
      {errors.map((e) => (
        <li key={e.field + e.message}>
          <code>{e.field || '/'}</code> {e.message}
        </li>
      ))}
    </ul>
  );
}
