import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../../app/api.ts';
import { useLogin } from '../../app/session.queries.ts';
import { takeSessionEnded, useMe, useSetupStatus } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { FullPageLoader } from '../../components/states.tsx';

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const setup = useSetupStatus();
  const me = useMe();
  const [ended] = useState(takeSessionEnded);
  usePageTitle('Sign in');
  const form = useForm({
    mode: 'controlled',
    initialValues: { email: params.get('email') ?? '', password: '' },
    validate: {
      email: (v) => (v.trim() ? null : 'Enter your email.'),
      password: (v) => (v ? null : 'Enter your password.'),
    },
  });
  const login = useLogin();
  const signIn = (v: { email: string; password: string }) =>
    login.mutate(v, { onSuccess: () => navigate('/', { replace: true }) });

  if (setup.isPending || me.isPending) return <FullPageLoader />;
  if (setup.data?.needed) return <Navigate to="/setup" replace />;
  if (me.data) return <Navigate to="/" replace />;

  const error = login.error instanceof ApiError ? login.error : login.error ? new ApiError(0, null) : null;
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={400} maw="100%">
        <form onSubmit={form.onSubmit(signIn)} noValidate aria-label="Sign in">
          <Stack>
            <div>
              <Title order={1} size="h2">
                Sign in
              </Title>
              <Text c="dimmed" size="sm">
                to Steward
              </Text>
            </div>
            {ended && !error && (
              <Alert color="orange" role="status" title="Your session has ended">
                You were signed out: an admin changed your account, or the session timed out. Please sign in again.
              </Alert>
            )}
            {error && (
              <Alert color="red" role="alert" title={error.status === 401 ? 'Could not sign in' : error.title}>
                {error.message}
              </Alert>
            )}
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              autoFocus={!form.values.email}
              {...form.getInputProps('email')}
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              autoFocus={Boolean(form.values.email)}
              {...form.getInputProps('password')}
            />
            <Button type="submit" loading={login.isPending} fullWidth>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
