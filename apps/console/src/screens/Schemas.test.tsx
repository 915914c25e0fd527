import { beforeAll, describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { call } from '../api.ts';
import { renderSignedIn, testAccount, type TestAccount } from '../testing.tsx';
import { SchemasScreen } from './Schemas.tsx';

// The catalog is product-wide and shared by every test file: a name of this file's own.
const TYPE = `ticket.priority_changed_s${Date.now().toString(36)}`;

let t: TestAccount;
beforeAll(async () => {
  t = await testAccount('Schemas test');
  await call(
    t.operator.POST('/v1/event-types', {
      body: {
        name: TYPE,
        description: 'The priority of a ticket changed.',
        schema: {
          type: 'object',
          required: ['ref', 'priority'],
          properties: { ref: { type: 'string' }, priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] }, customer: { type: 'object', properties: { name: { type: 'string' } } } },
        },
        example: { ref: 'T-1042', priority: 'high', customer: { name: 'Acme' } },
      },
    }),
  );
});

const preview = () => within(screen.getByRole('region', { name: 'Preview' }));

describe('Schemas', () => {
  it('creates "Message 1" as JSON with placeholders, previews it live, saves it and lists it', async () => {
    const user = userEvent.setup();
    renderSignedIn(<SchemasScreen />, t);
    expect(await screen.findByText(/There is no schema yet/)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Add schema' }));
    const dialog = within(screen.getByRole('dialog'));
    await user.type(dialog.getByLabelText('Name'), 'Message 1');
    await user.selectOptions(dialog.getByLabelText('Content type'), 'application/json');
    await user.selectOptions(dialog.getByLabelText('Event type'), TYPE);

    // The placeholders come from the event type's JSON Schema, nested objects as dotted paths.
    expect(dialog.getByRole('button', { name: '{{ticket:customer.name}}' })).toBeTruthy();

    const body = dialog.getByLabelText('Body') as HTMLTextAreaElement;
    await user.click(body);
    await user.paste('{ "ticket": "{{ticket:ref}}", "priority": "');
    // Not well-formed yet: the preview says so, with the line and column.
    expect(await preview().findByText(/Output, line 1, column \d+:/)).toBeTruthy();

    await user.click(dialog.getByRole('button', { name: '{{ticket:priority}}' }));
    expect(body.value).toBe('{ "ticket": "{{ticket:ref}}", "priority": "{{ticket:priority}}');
    await user.keyboard('" }');
    await waitFor(() => expect(preview().getByText('{ "ticket": "T-1042", "priority": "high" }')).toBeTruthy());

    // An event pasted for the preview (its data only) replaces the example.
    await user.click(dialog.getByLabelText('Event for the preview (JSON)'));
    await user.paste('{ "ref": "T-7", "priority": "low" }');
    await waitFor(() => expect(preview().getByText('{ "ticket": "T-7", "priority": "low" }')).toBeTruthy());

    await user.click(dialog.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const row = (await screen.findByRole('rowheader', { name: 'Message 1' })).closest('tr')!;
    expect(within(row).getByText('JSON')).toBeTruthy();
    expect(within(row).getByText(TYPE)).toBeTruthy();
    const saved = (await call(t.admin.GET('/v1/schemas'))).data;
    expect(saved).toContainEqual(
      expect.objectContaining({ name: 'Message 1', contentType: 'application/json', eventTypes: [TYPE], body: '{ "ticket": "{{ticket:ref}}", "priority": "{{ticket:priority}}" }' }),
    );
  });

  it('shows an error at save beside Body, with its line and column', async () => {
    const user = userEvent.setup();
    renderSignedIn(<SchemasScreen />, t);
    await user.click(await screen.findByRole('button', { name: 'Add schema' }));
    const dialog = within(screen.getByRole('dialog'));
    await user.type(dialog.getByLabelText('Name'), 'Broken');
    await user.selectOptions(dialog.getByLabelText('Content type'), 'text/plain');
    const body = dialog.getByLabelText('Body');
    await user.click(body);
    await user.paste('Hello\n  {% iff x %}yes{% endif %}');
    await user.click(dialog.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(body.getAttribute('aria-invalid')).toBe('true'));
    const errorId = body.getAttribute('aria-describedby')!.split(' ').find((id) => id.endsWith('-error'))!;
    expect(document.getElementById(errorId)!.textContent).toMatch(/line 2, column \d+/);
    expect(dialog.getByRole('button', { name: /Go to line 2, column \d+/ })).toBeTruthy();
    expect(screen.getByRole('dialog')).toBeTruthy();
  });

  it('asks before deleting', async () => {
    const user = userEvent.setup();
    const s = await call(t.admin.POST('/v1/schemas', { body: { name: 'To delete', contentType: 'text/plain', body: 'Bye {{ticket:ref}}' } }));
    renderSignedIn(<SchemasScreen />, t);
    const row = (await screen.findByRole('rowheader', { name: 'To delete' })).closest('tr')!;
    await user.click(within(row).getByRole('button', { name: 'Delete To delete' }));
    const confirm = within(screen.getByRole('dialog', { name: 'Are you sure?' }));
    await user.click(confirm.getByRole('button', { name: 'Cancel' }));
    expect((await t.admin.GET('/v1/schemas/{schemaId}', { params: { path: { schemaId: s.id } } })).response.status).toBe(200);

    await user.click(within(row).getByRole('button', { name: 'Delete To delete' }));
    await user.click(within(screen.getByRole('dialog', { name: 'Are you sure?' })).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByRole('rowheader', { name: 'To delete' })).toBeNull());
    expect((await t.admin.GET('/v1/schemas/{schemaId}', { params: { path: { schemaId: s.id } } })).response.status).toBe(404);
  });

  it('a read key sees the schemas but cannot change them', async () => {
    renderSignedIn(<SchemasScreen />, t, { role: 'read' });
    await screen.findByRole('rowheader', { name: 'Message 1' });
    expect((screen.getByRole('button', { name: 'Add schema' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Delete Message 1' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
