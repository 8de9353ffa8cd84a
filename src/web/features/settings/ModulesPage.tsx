import { Alert, Badge, Card, Group, Stack, Switch, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import { moduleLabels } from '../../../shared/business-modules.ts';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { BusinessModule } from '../../../shared/contracts/modules.ts';
import { hasPermission } from '../../app/session.ts';
import { ConfirmDialog } from '../../components/dialogs.tsx';
import { ErrorState, TableLoader } from '../../components/states.tsx';
import { useBusinessModules, useSwitchModule } from './modules.queries.ts';

/** A switch that is on but cannot move: still drawn on, in a lighter teal. */
const LOCKED_ON = { backgroundColor: 'var(--mantine-color-teal-3)', borderColor: 'var(--mantine-color-teal-3)' };

/** Why a module's switch cannot move, or null when it can. */
function locked(m: BusinessModule): string | null {
  if (m.alwaysOn) return 'Always on: without it nobody could run Steward or see what happened.';
  if (m.on && m.neededBy.length > 0) {
    return `${moduleLabels(m.neededBy)} ${m.neededBy.length === 1 ? 'needs' : 'need'} it: switch ${m.neededBy.length === 1 ? 'that' : 'those'} off first.`;
  }
  return null;
}

/** Settings → Modules: the business's modules, each with a switch. */
export function ModulesPage() {
  const me = useOutletContext<Me>();
  const list = useBusinessModules();
  const change = useSwitchModule();
  const [turningOff, setTurningOff] = useState<BusinessModule | null>(null);
  const canEdit = hasPermission(me, 'settings.edit');
  const flip = (m: BusinessModule, on: boolean) =>
    change.mutate(
      { key: m.key, on },
      {
        onSuccess: (next) => {
          const alsoOn = on
            ? m.needs.filter(
                (k) => !list.data?.items.find((x) => x.key === k)?.on && next.items.find((x) => x.key === k)?.on,
              )
            : [];
          notifications.show({
            color: 'teal',
            message: on
              ? `${m.label} switched on${alsoOn.length ? `, with ${moduleLabels(alsoOn)}` : ''}.`
              : `${m.label} switched off. Its records are kept.`,
          });
          setTurningOff(null);
        },
      },
    );
  if (list.isPending) return <TableLoader rows={6} />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  return (
    <Stack>
      <Title order={2} size="h3">
        Modules
      </Title>
      <Text size="sm">
        The template chose these when Steward was set up. Switching a module off hides its pages and its permissions for
        everyone; <b>nothing is deleted</b>, and switching it back on brings everything back as it was.
      </Text>
      {!canEdit && (
        <Alert color="gray">Only users who may edit settings can switch modules. You can see which are on.</Alert>
      )}
      {change.error && !turningOff && (
        <Alert color="red" role="alert">
          {change.error.message}
        </Alert>
      )}
      <Card withBorder p={0}>
        {list.data.items.map((m, i) => {
          const why = locked(m);
          return (
            <Group
              key={m.key}
              justify="space-between"
              wrap="nowrap"
              align="flex-start"
              p="sm"
              style={i > 0 ? { borderTop: '1px solid var(--mantine-color-gray-3)' } : undefined}
            >
              <Stack gap={2} style={{ minWidth: 0 }}>
                <Group gap="xs">
                  <Text fw={600} id={`module-${m.key}`}>
                    {m.label}
                  </Text>
                  {m.alwaysOn && (
                    <Badge size="xs" variant="light" color="gray">
                      Always on
                    </Badge>
                  )}
                </Group>
                <Text size="sm" c="dimmed" id={`module-${m.key}-about`}>
                  {m.description}
                  {m.needs.length > 0 &&
                    (m.on
                      ? ` Needs ${moduleLabels(m.needs)}.`
                      : ` Needs ${moduleLabels(m.needs)}, switched on with it.`)}
                  {why && !m.alwaysOn && ` ${why}`}
                </Text>
              </Stack>
              <Group gap="xs" wrap="nowrap">
                {/* The state in words too: a disabled switch is drawn grey whether it is on or off. */}
                <Text size="sm" fw={500} w={24} aria-hidden>
                  {m.on ? 'On' : 'Off'}
                </Text>
                <Switch
                  aria-labelledby={`module-${m.key}`}
                  aria-describedby={`module-${m.key}-about`}
                  checked={m.on}
                  disabled={!canEdit || why !== null || change.isPending}
                  styles={
                    m.on && (!canEdit || why !== null)
                      ? { track: LOCKED_ON, thumb: { borderColor: 'transparent' } }
                      : undefined
                  }
                  onChange={(e) => (e.currentTarget.checked ? flip(m, true) : setTurningOff(m))}
                />
              </Group>
            </Group>
          );
        })}
      </Card>
      <ConfirmDialog
        opened={turningOff !== null}
        title={`Switch off ${turningOff?.label ?? ''}?`}
        confirmLabel="Switch off"
        loading={change.isPending}
        error={change.error instanceof Error ? change.error.message : null}
        onClose={() => {
          change.reset();
          setTurningOff(null);
        }}
        onConfirm={() => turningOff && flip(turningOff, false)}
      >
        <Text size="sm">
          Its pages and permissions disappear for everyone, and the server refuses its actions. Nothing is deleted:
          switching it back on brings every record back.
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}
