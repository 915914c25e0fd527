import { useState } from 'react';
import { ApiError, call } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { useT } from '../../i18n/index.tsx';
import { Dialog, ErrorMessage, Field, WriteButton } from '../../components/ui.tsx';
import { groupInput, type RuleGroup } from './model.ts';

/** Adds a rule group (after every other) or renames / switches one; its rules are edited one by one. */
export function GroupEditor({ group, position, onClose, onSaved }: { group: RuleGroup | null; position: number; onClose(): void; onSaved(g: RuleGroup): void }) {
  const t = useT();
  const { client } = useSession();
  const [name, setName] = useState(group?.name ?? '');
  const [active, setActive] = useState(group?.active ?? true);
  const [error, setError] = useState<Error | null>(null);
  const [saving, setSaving] = useState(false);

  async function save() {
    setSaving(true);
    setError(null);
    try {
      const saved = group
        ? await call(client.PUT('/v1/rule-groups/{ruleGroupId}', { params: { path: { ruleGroupId: group.id } }, body: groupInput(group, { name, active }) }))
        : await call(client.POST('/v1/rule-groups', { body: { name, position, active, rules: [] } }));
      onSaved(saved);
    } catch (err) {
      setError(err as Error);
      setSaving(false);
    }
  }

  const apiError = error instanceof ApiError && error.status === 400 ? error : null;
  const nameError = apiError?.problem?.errors?.find((e) => e.field === '/name')?.message;
  return (
    <Dialog title={group ? t('rules.editGroupTitle', { name: group.name }) : t('rules.addGroup')} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {error && !nameError ? <ErrorMessage error={error} /> : null}
        <Field label={t('rules.groupName')} error={nameError}>
          {(p) => <input {...p} value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t('rules.groupActive')}
        </label>
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
