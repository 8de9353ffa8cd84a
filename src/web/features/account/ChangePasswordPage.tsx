import { Button, Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconLogout } from '@tabler/icons-react';
import type { Me } from '../../../shared/contracts/auth.ts';
import { useSignOut } from '../../app/session.queries.ts';
import { usePageTitle } from '../../app/title.ts';
import { PasswordForm } from './PasswordForm.tsx';

/** Shown instead of the app while the user still has a temporary password. */
export function ChangePasswordPage({ me }: { me: Me }) {
  usePageTitle('Choose your password');
  const signOut = useSignOut();
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={480} maw="100%">
        <Stack>
          <div>
            <Title order={1} size="h2">
              Choose your password
            </Title>
            <Text c="dimmed" size="sm">
              Welcome, {me.user.name}. You signed in with a temporary password; choose your own to continue.
            </Text>
          </div>
          <PasswordForm
            submitLabel="Save and continue"
            onChanged={() => notifications.show({ color: 'teal', message: 'Your password is set.' })}
          />
          <Group justify="space-between" pt="xs" style={{ borderTop: '1px solid var(--mantine-color-gray-3)' }}>
            <Text size="sm" c="dimmed">
              Not you, or not now?
            </Text>
            <Button
              variant="subtle"
              color="gray"
              leftSection={<IconLogout size={14} />}
              loading={signOut.isPending}
              onClick={() => signOut.mutate()}
            >
              Sign out
            </Button>
          </Group>
        </Stack>
      </Paper>
    </Center>
  );
}
