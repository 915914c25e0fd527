import { useId, useState } from 'react';
import { call, useLoad } from '../api.ts';
import { useSession } from '../session.tsx';
import { useT } from '../i18n/index.tsx';
import { ConfirmDialog, Empty, ErrorMessage, Loaded, WriteButton } from '../components/ui.tsx';
import { loadEventTypes, loadSchemas, loadWebhooks } from './schemas/model.ts';
import { groupInput, moved, nextPosition, reorderGroups, valueToText, type Rule, type RuleGroup } from './rules/model.ts';
import { GroupEditor } from './rules/GroupEditor.tsx';
import { RuleEditor, type Catalogs } from './rules/RuleEditor.tsx';

type Editing = { kind: 'group'; group: RuleGroup | null } | { kind: 'rule'; group: RuleGroup; index: number | null };
type Deleting = { kind: 'group'; group: RuleGroup } | { kind: 'rule'; group: RuleGroup; index: number };

function RuleSummary({ rule, catalogs }: { rule: Rule; catalogs: Catalogs }) {
  const t = useT();
  const webhookName = (id: string) => catalogs.webhooks.find((w) => w.id === id)?.name ?? id;
  const schemaName = (id: string | null) => (id === null ? t('rules.defaultPayload') : (catalogs.schemas.find((s) => s.id === id)?.name ?? id));
  return (
    <dl className="rule-summary">
      <dt>{t('rules.eventType')}</dt>
      <dd>{rule.eventTypes && rule.eventTypes.length > 0 ? rule.eventTypes.join(', ') : t('rules.anyEventType')}</dd>
      <dt>{rule.match === 'all' ? t('rules.matchAll') : t('rules.matchAny')}</dt>
      <dd>
        {rule.conditions.length === 0 ? (
          <span className="muted">{rule.match === 'all' ? t('rules.noConditionsAll') : t('rules.noConditionsAny')}</span>
        ) : (
          <ul>
            {rule.conditions.map((c, i) => (
              <li key={i}>
                <code>{c.field}</code> {t(`rules.op.${c.op}`)} {c.value !== undefined && c.op !== 'changed' ? <code>{valueToText(c.value)}</code> : null}
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt>{t('rules.actions')}</dt>
      <dd>
        <ul>
          {rule.actions.map((a, i) => (
            <li key={i}>
              {t('rules.sendsTo', { schema: schemaName(a.schema), webhook: webhookName(a.webhook) })}
            </li>
          ))}
        </ul>
        {rule.stopRules ? <div className="muted">{t('rules.stopRules')}</div> : null}
        {rule.stopGroups ? <div className="muted">{t('rules.stopGroups')}</div> : null}
      </dd>
    </dl>
  );
}

function RuleItem({ rule, index, count, busy, catalogs, onEdit, onMove, onDelete }: { rule: Rule; index: number; count: number; busy: boolean; catalogs: Catalogs; onEdit(): void; onMove(by: -1 | 1): void; onDelete(): void }) {
  const t = useT();
  const titleId = useId();
  const title = rule.name || t('rules.ruleN', { n: index + 1 });
  return (
    <li>
      <article className="rule-item" aria-labelledby={titleId}>
        <header className="rule-item-header">
          <h3 id={titleId}>
            <span className="muted">{index + 1}.</span> {title}
          </h3>
          <div className="row-actions">
            <WriteButton onClick={() => onMove(-1)} disabled={busy || index === 0}>
              {t('common.moveUp')}
            </WriteButton>
            <WriteButton onClick={() => onMove(1)} disabled={busy || index === count - 1}>
              {t('common.moveDown')}
            </WriteButton>
            <button type="button" onClick={onEdit}>
              {t('common.edit')}
            </button>
            <WriteButton className="danger" onClick={onDelete} disabled={busy}>
              {t('common.delete')}
            </WriteButton>
          </div>
        </header>
        <RuleSummary rule={rule} catalogs={catalogs} />
      </article>
    </li>
  );
}

function GroupSection({ group, index, count, busy, catalogs, onEdit, onMove, onDelete, onAddRule, onEditRule, onMoveRule, onDeleteRule }: {
  group: RuleGroup;
  index: number;
  count: number;
  busy: boolean;
  catalogs: Catalogs;
  onEdit(): void;
  onMove(by: -1 | 1): void;
  onDelete(): void;
  onAddRule(): void;
  onEditRule(i: number): void;
  onMoveRule(i: number, by: -1 | 1): void;
  onDeleteRule(i: number): void;
}) {
  const t = useT();
  const titleId = useId();
  return (
    <section className={group.active ? 'rule-group' : 'rule-group rule-group-inactive'} aria-labelledby={titleId}>
      <header className="rule-group-header">
        <h2 id={titleId}>{group.name}</h2>
        {!group.active ? <span className="badge badge-suppressed">{t('rules.inactive')}</span> : null}
        <span className="spacer" />
        <div className="row-actions">
          <WriteButton onClick={() => onMove(-1)} disabled={busy || index === 0}>
            {t('common.moveUp')}
          </WriteButton>
          <WriteButton onClick={() => onMove(1)} disabled={busy || index === count - 1}>
            {t('common.moveDown')}
          </WriteButton>
          <button type="button" onClick={onEdit}>
            {t('common.edit')}
          </button>
          <WriteButton className="danger" onClick={onDelete} disabled={busy}>
            {t('common.delete')}
          </WriteButton>
        </div>
      </header>
      {group.rules.length === 0 ? (
        <Empty>{t('rules.noRules')}</Empty>
      ) : (
        <ol className="rule-list">
          {group.rules.map((r, i) => (
            <RuleItem
              key={r.id ?? i}
              rule={r}
              index={i}
              count={group.rules.length}
              busy={busy}
              catalogs={catalogs}
              onEdit={() => onEditRule(i)}
              onMove={(by) => onMoveRule(i, by)}
              onDelete={() => onDeleteRule(i)}
            />
          ))}
        </ol>
      )}
      <WriteButton onClick={onAddRule} disabled={busy}>
        {t('rules.addRule')}
      </WriteButton>
    </section>
  );
}

/** Event rules (F4): ordered groups of ordered rules, each sending events to (webhook, schema) pairs. */
export function RulesScreen() {
  const t = useT();
  const { client } = useSession();
  const load = useLoad(async () => {
    const [groups, eventTypes, webhooks, schemas] = await Promise.all([
      call(client.GET('/v1/rule-groups')).then((r) => r.data),
      loadEventTypes(client),
      loadWebhooks(client),
      loadSchemas(client),
    ]);
    return { groups, catalogs: { eventTypes, webhooks, schemas } };
  }, [client]);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<Deleting | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<Error | null>(null);
  const [warnings, setWarnings] = useState<{ group: string; items: { field: string; message: string }[] } | null>(null);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setActionError(null);
    try {
      await action();
    } catch (err) {
      setActionError(err as Error);
    } finally {
      setBusy(false);
      load.reload();
    }
  }

  function saved(g: RuleGroup) {
    setEditing(null);
    setWarnings(g.warnings && g.warnings.length > 0 ? { group: g.name, items: g.warnings } : null);
    load.reload();
  }

  const putRules = (g: RuleGroup, rules: Rule[]) => call(client.PUT('/v1/rule-groups/{ruleGroupId}', { params: { path: { ruleGroupId: g.id } }, body: groupInput({ ...g, rules }) }));

  return (
    <>
      <div className="toolbar">
        <h1>{t('nav.rules')}</h1>
        <span className="spacer" />
        <WriteButton className="primary" onClick={() => setEditing({ kind: 'group', group: null })} disabled={load.state !== 'ready'}>
          {t('rules.addGroup')}
        </WriteButton>
      </div>
      <p className="muted">{t('rules.intro')}</p>
      {actionError ? <ErrorMessage error={actionError} /> : null}
      {warnings ? (
        <div className="notice notice-warning" role="status">
          <p>{t('rules.warnings', { group: warnings.group })}</p>
          <ul>
            {warnings.items.map((w) => (
              <li key={w.field + w.message}>
                <code>{w.field}</code> {w.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <Loaded load={load}>
        {({ groups, catalogs }) => (
          <>
            {groups.length === 0 ? <Empty>{t('rules.empty')}</Empty> : null}
            {groups.map((g, i) => (
              <GroupSection
                key={g.id}
                group={g}
                index={i}
                count={groups.length}
                busy={busy}
                catalogs={catalogs}
                onEdit={() => setEditing({ kind: 'group', group: g })}
                onMove={(by) => void run(() => reorderGroups(client, moved(groups, i, by)))}
                onDelete={() => setDeleting({ kind: 'group', group: g })}
                onAddRule={() => setEditing({ kind: 'rule', group: g, index: null })}
                onEditRule={(r) => setEditing({ kind: 'rule', group: g, index: r })}
                onMoveRule={(r, by) => void run(() => putRules(g, moved(g.rules, r, by)))}
                onDeleteRule={(r) => setDeleting({ kind: 'rule', group: g, index: r })}
              />
            ))}
            {editing?.kind === 'group' ? <GroupEditor group={editing.group} position={nextPosition(groups)} onClose={() => setEditing(null)} onSaved={saved} /> : null}
            {editing?.kind === 'rule' ? <RuleEditor group={editing.group} index={editing.index} catalogs={catalogs} onClose={() => setEditing(null)} onSaved={saved} /> : null}
          </>
        )}
      </Loaded>
      {deleting ? (
        <ConfirmDialog
          title={t('common.confirmTitle')}
          message={
            deleting.kind === 'group'
              ? t('rules.deleteGroupConfirm', { name: deleting.group.name })
              : t('rules.deleteRuleConfirm', { name: deleting.group.rules[deleting.index]?.name || t('rules.ruleN', { n: deleting.index + 1 }), group: deleting.group.name })
          }
          confirmLabel={t('common.delete')}
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            if (deleting.kind === 'group') await call(client.DELETE('/v1/rule-groups/{ruleGroupId}', { params: { path: { ruleGroupId: deleting.group.id } } }));
            else await putRules(deleting.group, deleting.group.rules.filter((_, i) => i !== deleting.index));
            setDeleting(null);
            load.reload();
          }}
        />
      ) : null}
    </>
  );
}
