import { Card, Stack, Switch, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { InventorySettings } from '../../../shared/contracts/inventory.ts';
import { hasPermission } from '../../app/session.ts';
import { ErrorState, TableLoader } from '../../components/states.tsx';
import { useInventorySettings, useSaveInventorySettings } from './settings.queries.ts';

export function InventorySettingsPage() {
  const me = useOutletContext<Me>();
  const settings = useInventorySettings();
  const save = useSaveInventorySettings();
  const saveSettings = (next: InventorySettings) =>
    save.mutate(next, {
      onSuccess: () => notifications.show({ color: 'teal', message: 'Inventory settings saved.' }),
    });
  if (settings.isPending) return <TableLoader rows={2} />;
  if (settings.isError) return <ErrorState error={settings.error} onRetry={() => settings.refetch()} />;
  const canEdit = hasPermission(me, 'settings.edit');
  return (
    <Card withBorder>
      <Stack>
        <Title order={2} size="h4">
          Stock
        </Title>
        <Switch
          label="Allow stock to go below zero"
          description="Off: a stock-out or sale that would take an item below zero is refused. On: it is booked and the item shows a negative figure until stock is received."
          checked={settings.data.allowNegativeStock}
          disabled={!canEdit || save.isPending}
          onChange={(e) => saveSettings({ allowNegativeStock: e.currentTarget.checked })}
        />
        {!canEdit && (
          <Text size="sm" c="dimmed">
            Only users who may edit settings can change this.
          </Text>
        )}
      </Stack>
    </Card>
  );
}
