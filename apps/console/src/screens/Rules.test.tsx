import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { call } from '../api.ts';
import { renderSignedIn, testAccount, type TestAccount } from '../testing.tsx';
import { RulesScreen } from './Rules.tsx';

// The catalog is product-wide and shared by every test file: a name of this file's own.
const TYPE = `ticket.priority_changed_r${Date.now().toString(36)}`;

/** An account with the seed's "Test Webhook" and "Message 1". */
async function seededAccount() {
  const t = await testAccount('Rules test');
  const webhook = await call(t.admin.POST('/v1/webhooks', { body: { name: 'Test Webhook', url: 'https://webhook.site/c2ed9f62-5e01-4071-8a36-4605b716a031', eventTypes: [TYPE] } }));
  const schema = await call(t.admin.POST('/v1/schemas', { body: { name: 'Message 1', contentType: 'text/plain', body: '{\n  Hello\n}', eventTypes: [TYPE] } }));
  return { t, webhook, schema };
}

let seeded: Awaited<ReturnType<typeof seededAccount>>;
beforeAll(async () => {
  const first = await testAccount('Rules catalog');
  await call(
    first.operator.POST('/v1/event-types', {
      body: {
        name: TYPE,
        description: 'The priority of a ticket changed.',
        schema: { type: 'object', required: ['ref', 'priority'], properties: { ref: { type: 'string' }, priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] } } },
        example: { ref: 'T-1042', priority: 'high' },
      },
    }),
  );
  seeded = await seededAccount();
});

const groupsOf = async (t: TestAccount) => (await call(t.admin.GET('/v1/rule-groups'))).data;

describe('Event rules', () => {
  it('builds the Norwegian seed’s rule by clicking: priority changed (to high) sends Message 1 to Test Webhook', async () => {
    const { t, webhook, schema } = seeded;
    const user = userEvent.setup();
    renderSignedIn(<RulesScreen />, t);
    expect(await screen.findByText(/There is no rule group yet/)).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Add rule group' }));
    await user.type(within(screen.getByRole('dialog')).getByLabelText('Name'), 'Ticket events');
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Save' }));
    const group = await screen.findByRole('region', { name: 'Ticket events' });

    await user.click(within(group).getByRole('button', { name: 'Add rule' }));
    const dialog = within(screen.getByRole('dialog'));
    await user.type(dialog.getByLabelText('Name'), 'Priority changed');
    await user.selectOptions(dialog.getByLabelText('Event type'), TYPE);
    expect((dialog.getByLabelText('All conditions') as HTMLInputElement).checked).toBe(true);

    // "Ticket Event is equal to Priority Changed" …
    await user.click(dialog.getByRole('button', { name: 'Add condition' }));
    await user.selectOptions(dialog.getAllByLabelText('Field')[0]!, 'type');
    await user.selectOptions(dialog.getAllByLabelText('Operator')[0]!, 'equals');
    await user.type(dialog.getAllByLabelText('Value')[0]!, TYPE);
    // … and the priority is now high (the field offered from the event type's JSON Schema).
    await user.click(dialog.getByRole('button', { name: 'Add condition' }));
    await user.selectOptions(dialog.getAllByLabelText('Field')[1]!, 'data.priority');
    await user.selectOptions(dialog.getAllByLabelText('Operator')[1]!, 'equals');
    await user.type(dialog.getAllByLabelText('Value')[1]!, 'high');

    expect((dialog.getByLabelText('Stop checking further rules of this group if the conditions of this rule are met') as HTMLInputElement).checked).toBe(false);
    expect((dialog.getByLabelText('Stop checking further groups if the conditions of this rule are met') as HTMLInputElement).checked).toBe(false);

    await user.click(dialog.getByRole('button', { name: 'Add action' }));
    await user.selectOptions(dialog.getByLabelText('Webhook'), webhook.id);
    await user.selectOptions(dialog.getByLabelText('Schema'), schema.id);
    await user.click(dialog.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await within(group).findByRole('article', { name: /Priority changed/ })).toBeTruthy();
    expect(within(group).getByText('Sends Message 1 to Test Webhook')).toBeTruthy();

    const groups = await groupsOf(t);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      name: 'Ticket events',
      position: 0,
      active: true,
      rules: [
        {
          name: 'Priority changed',
          eventTypes: [TYPE],
          match: 'all',
          conditions: [
            { field: 'type', op: 'equals', value: TYPE },
            { field: 'data.priority', op: 'equals', value: 'high' },
          ],
          stopRules: false,
          stopGroups: false,
          actions: [{ webhook: webhook.id, schema: schema.id }],
        },
      ],
    });
  });

  it('shows a 400 beside the field it names', async () => {
    const { t, webhook } = await seededAccount();
    await call(t.admin.POST('/v1/rule-groups', { body: { name: 'G', position: 0, rules: [] } }));
    const user = userEvent.setup();
    renderSignedIn(<RulesScreen />, t);
    await user.click(within(await screen.findByRole('region', { name: 'G' })).getByRole('button', { name: 'Add rule' }));
    const dialog = within(screen.getByRole('dialog'));
    await user.click(dialog.getByRole('button', { name: 'Add condition' }));
    await user.selectOptions(dialog.getByLabelText('Field'), 'entity.id');
    await user.selectOptions(dialog.getByLabelText('Operator'), 'changed');
    await user.click(dialog.getByRole('button', { name: 'Add action' }));
    await user.click(dialog.getByRole('button', { name: 'Save' }));
    // No webhook chosen: said beside it before anything is sent.
    await waitFor(() => expect(dialog.getByLabelText('Webhook').getAttribute('aria-invalid')).toBe('true'));
    expect(dialog.getByText('Choose a webhook.')).toBeTruthy();
    await user.selectOptions(dialog.getByLabelText('Webhook'), webhook.id);
    await user.click(dialog.getByRole('button', { name: 'Save' }));
    // The API's 400 (`changed` needs a field under data) beside Field.
    const field = dialog.getByLabelText('Field');
    await waitFor(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect(dialog.getByText(/changed compares data\.<path> with previous\.<path>/)).toBeTruthy();
    expect(dialog.getByLabelText('Webhook').getAttribute('aria-invalid')).toBeNull();
    expect((await groupsOf(t))[0]!.rules).toEqual([]);
  });

  it('moves a group and a rule down, through the API', async () => {
    const { t, webhook } = await seededAccount();
    const action = { webhook: webhook.id, schema: null };
    await call(t.admin.POST('/v1/rule-groups', { body: { name: 'First', position: 0, rules: [{ name: 'R1', match: 'all', conditions: [], actions: [action] }, { name: 'R2', match: 'any', conditions: [{ field: 'type', op: 'equals', value: TYPE }], actions: [action] }] } }));
    await call(t.admin.POST('/v1/rule-groups', { body: { name: 'Second', position: 1, rules: [] } }));
    const user = userEvent.setup();
    renderSignedIn(<RulesScreen />, t);

    const first = await screen.findByRole('region', { name: 'First' });
    expect((within(first).getAllByRole('button', { name: 'Move up' })[0] as HTMLButtonElement).disabled).toBe(true);
    await user.click(within(first).getAllByRole('button', { name: 'Move down' })[0]!);
    await waitFor(async () => expect((await groupsOf(t)).map((g) => g.name)).toEqual(['Second', 'First']));
    await waitFor(() => expect(screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent)).toEqual(['Second', 'First']));

    const r1 = within(screen.getByRole('region', { name: 'First' })).getByRole('article', { name: /R1/ });
    await user.click(within(r1).getByRole('button', { name: 'Move down' }));
    await waitFor(async () => expect((await groupsOf(t)).find((g) => g.name === 'First')!.rules.map((r) => r.name)).toEqual(['R2', 'R1']));
    const after = (await groupsOf(t)).find((g) => g.name === 'First')!;
    expect(after.rules[1]).toMatchObject({ name: 'R1', match: 'all', actions: [action] });
    expect(after.active).toBe(true);
  });

  it('a read key sees the rules but every button that changes something is disabled', async () => {
    const { t } = seeded;
    renderSignedIn(<RulesScreen />, t, { role: 'read' });
    const group = await screen.findByRole('region', { name: 'Ticket events' });
    for (const name of ['Add rule group']) expect((screen.getByRole('button', { name }) as HTMLButtonElement).disabled).toBe(true);
    for (const name of ['Move down', 'Move up', 'Delete', 'Add rule']) {
      for (const b of within(group).getAllByRole('button', { name })) expect((b as HTMLButtonElement).disabled).toBe(true);
    }
    expect(within(group).getAllByRole('button', { name: 'Delete' })[0]!.getAttribute('title')).toBe('Needs an admin key');
  });
});
