import { Alert, Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { navItemsFor } from '../../../shared/modules.ts';
import { hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { formatBytes, useDiskReport } from './dashboard.queries.ts';

/** Warns those who administer the server before its disk runs out (writes then answer 507). */
function DiskWarning({ me }: { me: Me }) {
  const report = useDiskReport(hasPermission(me, 'settings.edit'));
  const disk = report.data?.disk;
  if (!disk?.low) return null;
  return (
    <Alert color="red" variant="light" title="The server's disk is almost full">
      Only {formatBytes(disk.freeBytes)} ({disk.freePercent}%) of {formatBytes(disk.totalBytes)} is free under{' '}
      <Text span ff="monospace" size="sm">
        {report.data?.path}
      </Text>
      . When it runs out, nothing more can be saved: free some space or give the server a larger disk.
    </Alert>
  );
}

function greeting(timezone: string): string {
  const hour = Number(
    new Intl.DateTimeFormat('en-GB', { hour: 'numeric', hourCycle: 'h23', timeZone: timezone }).format(new Date()),
  );
  return hour < 12 ? 'Good morning' : hour < 18 ? 'Good afternoon' : 'Good evening';
}

export function DashboardPage() {
  const me = useOutletContext<Me>();
  const modules = navItemsFor(me);
  usePageTitle('Dashboard');
  const today = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeZone: me.business.timezone }).format(
    new Date(),
  );
  return (
    <Stack gap="lg">
      <DiskWarning me={me} />
      <div>
        <Title order={1} size="h2">
          {greeting(me.business.timezone)}, {me.user.name.split(' ')[0]}
        </Title>
        <Text c="dimmed">
          {today} · {me.business.name} · signed in as {me.user.role.name}
        </Text>
      </div>
      <Title order={2} size="h4">
        Your access
      </Title>
      {modules.length === 0 ? (
        <Text c="dimmed">Your role gives you no modules yet. Ask an administrator for access.</Text>
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} aria-label="Your access by module">
          {modules.map((m) => {
            const perms = me.permissions.filter((p) => m.areas.includes(p.permission.split('.')[0] as string));
            const all = perms.filter((p) => p.access === 'all').length;
            const own = perms.filter((p) => p.access === 'own').length;
            const code = perms.filter((p) => p.access === 'elevation-required').length;
            return (
              <Card key={m.key} withBorder padding="md">
                <Text fw={600}>{m.label}</Text>
                <Group gap={6} mt="xs">
                  {all > 0 && <Badge variant="light">{all} allowed</Badge>}
                  {own > 0 && (
                    <Badge variant="light" color="grape">
                      {own} on your own records
                    </Badge>
                  )}
                  {code > 0 && (
                    <Badge variant="light" color="orange">
                      {code} with the master code
                    </Badge>
                  )}
                </Group>
              </Card>
            );
          })}
        </SimpleGrid>
      )}
    </Stack>
  );
}
