import { Badge, Button, Group, Stack, Switch, Text, Textarea, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { ApiError, generalError } from '../../app/api.ts';
import { hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { ConfirmDialog, FormDialog } from '../../components/dialogs.tsx';
import {
  type CatalogKind as Kind,
  type CatalogRow as Row,
  useArchiveCatalogRow,
  useCatalog,
  useSaveCatalogRow,
} from './inventory.queries.ts';

const TEXT = {
  categories: { title: 'Categories', one: 'category', fields: ['name', 'description'] as const },
  suppliers: {
    title: 'Suppliers',
    one: 'supplier',
    fields: ['name', 'contactName', 'email', 'phone', 'address', 'notes'] as const,
  },
};
const LABELS: Record<string, string> = {
  name: 'Name',
  description: 'Description',
  contactName: 'Contact',
  email: 'Email',
  phone: 'Phone',
  address: 'Address',
  notes: 'Notes',
};

/** Categories and suppliers share one page shape: a list, a form, archive / restore. */
function CatalogPage({ kind }: { kind: Kind }) {
  const me = useOutletContext<Me>();
  const t = TEXT[kind];
  usePageTitle(t.title);
  const [showArchived, setShowArchived] = useState(false);
  const [editing, setEditing] = useState<Row | 'new' | null>(null);
  const [archiving, setArchiving] = useState<Row | null>(null);
  const list = useCatalog(kind, showArchived);
  const archive = useArchiveCatalogRow(kind);
  const confirmArchive = (r: Row) =>
    archive.mutate(r, {
      onSuccess: () => {
        notifications.show({ color: 'teal', message: `${r.name} ${r.archived ? 'restored' : 'archived'}.` });
        setArchiving(null);
      },
    });
  const area = kind;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t.title}
        </Title>
        <Group>
          <Switch
            label="Show archived"
            checked={showArchived}
            onChange={(e) => setShowArchived(e.currentTarget.checked)}
          />
          {hasPermission(me, `${area}.add`) && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
              New {t.one}
            </Button>
          )}
        </Group>
      </Group>
      <DataTable
        label={t.title}
        columns={[
          {
            key: 'name',
            header: 'Name',
            sortValue: (r) => r.name.toLowerCase(),
            cell: (r) => (
              <Group gap={6}>
                <Text size="sm" fw={500}>
                  {r.name}
                </Text>
                {r.archived && (
                  <Badge size="xs" color="gray">
                    archived
                  </Badge>
                )}
              </Group>
            ),
          },
          {
            key: 'detail',
            header: kind === 'categories' ? 'Description' : 'Contact',
            cell: (r) => (
              <Text size="sm" c="dimmed">
                {'description' in r ? r.description : [r.contactName, r.email, r.phone].filter(Boolean).join(' · ')}
              </Text>
            ),
          },
          { key: 'items', header: 'Items', sortValue: (r) => r.items, cell: (r) => r.items },
          // No empty actions column for someone who may neither edit nor archive.
          ...(hasPermission(me, `${area}.edit`) || hasPermission(me, `${area}.delete`)
            ? [
                {
                  key: 'actions',
                  header: <VisuallyHidden>Actions</VisuallyHidden>,
                  label: 'Actions',
                  stopRowClick: true,
                  cell: (r: Row) => (
                    <Group gap="xs" justify="flex-end">
                      {hasPermission(me, `${area}.edit`) && (
                        <Button size="xs" variant="subtle" onClick={() => setEditing(r)}>
                          Edit
                        </Button>
                      )}
                      {hasPermission(me, `${area}.delete`) && (
                        <Button
                          size="xs"
                          variant="subtle"
                          color={r.archived ? undefined : 'red'}
                          onClick={() => setArchiving(r)}
                        >
                          {r.archived ? 'Restore…' : 'Archive…'}
                        </Button>
                      )}
                    </Group>
                  ),
                },
              ]
            : []),
        ]}
        rows={list.data?.items}
        rowKey={(r) => r.id}
        isPending={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        empty={{ title: `No ${kind} yet` }}
        tableProps={{ striped: true }}
      />
      {editing && <CatalogForm kind={kind} row={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      <ConfirmDialog
        opened={archiving !== null}
        title={`${archiving?.archived ? 'Restore' : 'Archive'} ${archiving?.name}?`}
        confirmLabel={archiving?.archived ? 'Restore' : 'Archive'}
        danger={!archiving?.archived}
        loading={archive.isPending}
        error={archive.error instanceof Error ? archive.error.message : null}
        onClose={() => {
          archive.reset();
          setArchiving(null);
        }}
        onConfirm={() => archiving && confirmArchive(archiving)}
      >
        <Text size="sm">
          {archiving?.archived
            ? 'It can be chosen again.'
            : `It is kept with its history but can no longer be chosen. ${kind === 'categories' ? 'Move its items to another category first.' : 'Its open orders must be closed first.'}`}
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}

function CatalogForm({ kind, row, onClose }: { kind: Kind; row: Row | null; onClose: () => void }) {
  const t = TEXT[kind];
  const [values, setValues] = useState<Record<string, string>>(
    Object.fromEntries(t.fields.map((f) => [f, row ? String((row as Record<string, unknown>)[f] ?? '') : ''])),
  );
  const save = useSaveCatalogRow(kind);
  const submit = () =>
    save.mutate(
      { id: row?.id ?? null, values },
      {
        onSuccess: () => {
          notifications.show({ color: 'teal', message: `${values.name} saved.` });
          onClose();
        },
      },
    );
  const errors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  return (
    <FormDialog
      title={row ? `Edit ${row.name}` : `New ${t.one}`}
      submitLabel="Save"
      loading={save.isPending}
      disabled={!values.name?.trim() && 'Enter a name.'}
      error={generalError(save.error)}
      onClose={onClose}
      onSubmit={submit}
    >
      {t.fields.map((f, i) =>
        f === 'notes' || f === 'address' || f === 'description' ? (
          <Textarea
            key={f}
            label={LABELS[f]}
            autosize
            minRows={2}
            value={values[f]}
            onChange={(e) => setValues({ ...values, [f]: e.currentTarget.value })}
            error={errors[f]}
          />
        ) : (
          <TextInput
            key={f}
            label={LABELS[f]}
            required={f === 'name'}
            data-autofocus={i === 0 ? true : undefined}
            value={values[f]}
            onChange={(e) => setValues({ ...values, [f]: e.currentTarget.value })}
            error={errors[f]}
          />
        ),
      )}
    </FormDialog>
  );
}

export const CategoriesPage = () => <CatalogPage kind="categories" />;
export const SuppliersPage = () => <CatalogPage kind="suppliers" />;
