import { Alert, Badge, FileInput, Group, Progress, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFileSpreadsheet } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ImportPreview } from '../../../shared/contracts/inventory.ts';
import { ApiError, api } from '../../app/api.ts';
import { plural } from '../../app/format.ts';
import { keys } from '../../app/query-keys.ts';
import { FormDialog } from '../../components/dialogs.tsx';

/**
 * The import wizard: choose a CSV or XLSX file → upload and check it (progress) → review the
 * counts and every problem by row and column → import it all, or fix the file and try again.
 */
export function ImportDialog({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const check = async (f: File | null) => {
    setFile(f);
    setPreview(null);
    setError(null);
    if (!f) return;
    setBusy(true);
    try {
      setPreview(await api.upload<ImportPreview>('/api/v1/items/import/preview', f, setProgress));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };
  const run = async () => {
    if (!file) return;
    setBusy(true);
    try {
      const r = await api.upload<{ created: number; updated: number }>('/api/v1/items/import', file, setProgress);
      notifications.show({
        color: 'teal',
        title: 'Import done',
        message: `${plural(r.created, 'item')} created, ${r.updated} updated.`,
      });
      void queryClient.invalidateQueries({ queryKey: keys.items.all });
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };
  return (
    <FormDialog
      title="Import items"
      size="xl"
      submitLabel={preview ? `Import ${plural(preview.rows, 'row')}` : 'Import'}
      loading={busy}
      disabled={
        !preview
          ? 'Choose a file; it is checked before anything is imported.'
          : preview.errors.length > 0 && 'Correct the rows with errors first.'
      }
      error={error}
      onClose={onClose}
      onSubmit={() => void run()}
    >
      <Text size="sm" c="dimmed">
        A CSV or Excel file with a header row. Columns: sku and name (required), description, category, unit, cost,
        price, vat_rate, price_includes_vat, location, reorder_level, reorder_quantity, on_hand (opening stock of new
        items), supplier (the preferred supplier, by name: add it under Suppliers first), supplier_sku and
        supplier_price. Rows with a known SKU update that item. An export from Steward imports back as it is.
      </Text>
      <FileInput
        label="File"
        placeholder="Choose a .csv or .xlsx file"
        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        leftSection={<IconFileSpreadsheet size={16} />}
        value={file}
        onChange={(f) => void check(f)}
        data-autofocus
      />
      {progress !== null && <Progress value={progress * 100} animated aria-label="Upload progress" />}
      {preview && (
        <Stack gap="xs">
          <Group gap="xs">
            <Badge color="teal">{preview.creates} new</Badge>
            <Badge color="blue">{plural(preview.updates, 'update')}</Badge>
            <Badge color={preview.errors.length ? 'red' : 'gray'}>{plural(preview.errors.length, 'problem')}</Badge>
          </Group>
          {preview.errors.length > 0 ? (
            <>
              <Alert color="red" title="Nothing will be imported until every row is right">
                Fix these in the file and choose it again.
              </Alert>
              <ScrollArea.Autosize mah={260}>
                <Table striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Row</Table.Th>
                      <Table.Th>Column</Table.Th>
                      <Table.Th>Problem</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {preview.errors.map((e) => (
                      <Table.Tr key={`${e.row}-${e.column}-${e.message}`}>
                        <Table.Td>{e.row}</Table.Td>
                        <Table.Td>{e.column}</Table.Td>
                        <Table.Td>{e.message}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea.Autosize>
            </>
          ) : (
            <Alert color="teal" title="The file is ready">
              {plural(preview.rows, 'row')} checked: {plural(preview.creates, 'item')} will be created and{' '}
              {preview.updates} updated, in one go.
            </Alert>
          )}
        </Stack>
      )}
    </FormDialog>
  );
}
