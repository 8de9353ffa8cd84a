import { Center, Paper, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { Me } from '../../../shared/contracts/auth.ts';
import { PasswordForm } from './PasswordForm.tsx';

/** Shown instead of the app while the user still has a temporary password. */
export function ChangePasswordPage({ me }: { me: Me }) {
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
        </Stack>
      </Paper>
    </Center>
  );
}
