import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { SecondFactorChallenge } from '../../../shared/contracts/two-factor.ts';
import { ApiError } from '../../app/api.ts';
import { useFinishSignIn, useLogin, useSecondFactor } from '../../app/session.queries.ts';
import { takeSessionEnded, useMe, useSetupStatus } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { FullPageLoader } from '../../components/states.tsx';
import { CodeField, EnrolmentStep, RecoveryCodesView, useCodeInput } from '../account/TwoFactorParts.tsx';

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
  const [pending, setPending] = useState<SecondFactorChallenge['secondFactor'] | null>(null);
  const [signedIn, setSignedIn] = useState<{ me: Me; codes: string[] } | null>(null);
  const finish = useFinishSignIn();
  const signIn = (v: { email: string; password: string }) =>
    login.mutate(v, {
      onSuccess: (result) => {
        if ('secondFactor' in result) setPending(result.secondFactor);
        else navigate('/', { replace: true });
      },
    });

  if (signedIn) {
    return (
      <Shell title="Save your recovery codes">
        <RecoveryCodesView
          codes={signedIn.codes}
          doneLabel="Continue to Steward"
          onDone={() => {
            finish(signedIn.me);
            navigate('/', { replace: true });
          }}
        />
      </Shell>
    );
  }
  if (pending) {
    return (
      <SecondStep
        pending={pending}
        onSignedIn={(result) => {
          const { recoveryCodes, ...me } = result;
          if (recoveryCodes) setSignedIn({ me, codes: recoveryCodes });
          else {
            finish(me);
            navigate('/', { replace: true });
          }
        }}
        onRestart={() => {
          setPending(null);
          form.setFieldValue('password', '');
          login.reset();
        }}
      />
    );
  }
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

function Shell({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={420} maw="100%">
        <Stack>
          <Title order={1} size="h2">
            {title}
          </Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

/** The second step: a code from the app, a recovery code, or — while setting up — the new app's first code. */
function SecondStep(props: {
  pending: SecondFactorChallenge['secondFactor'];
  onSignedIn: (result: Me & { recoveryCodes: string[] | null }) => void;
  onRestart: () => void;
}) {
  const { pending } = props;
  const code = useCodeInput();
  const [recovery, setRecovery] = useState(false);
  const step = useSecondFactor();
  const error = step.error instanceof ApiError ? step.error : step.error ? new ApiError(0, null) : null;
  // A pending sign-in that expired or ran out of tries cannot be retried: start again.
  const dead = error?.status === 401 && /expired|already completed|was reset|Sign in again/.test(error.message);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!code.check(recovery)) return;
    step.mutate({ challenge: pending.challenge, code: code.value }, { onSuccess: props.onSignedIn });
  };
  return (
    <Shell title={pending.enrol ? 'Set up two-step sign-in' : 'Two-step sign-in'}>
      <form onSubmit={submit} noValidate aria-label="Second step of signing in">
        <Stack>
          {pending.enrol ? (
            <>
              <Text size="sm">
                Your account holds permissions that your business protects with a second step at sign-in.
              </Text>
              {pending.enrolment && <EnrolmentStep enrolment={pending.enrolment} />}
            </>
          ) : (
            <Text size="sm">
              {recovery
                ? 'Enter one of the recovery codes you saved when you set up two-step sign-in.'
                : 'Open your authenticator app and enter the 6-digit code it shows for Steward.'}
            </Text>
          )}
          {error && (
            <Alert color="red" role="alert" title="Could not sign in">
              {error.message}
            </Alert>
          )}
          {dead ? (
            <Button onClick={props.onRestart}>Sign in again</Button>
          ) : (
            <>
              <CodeField
                // A new field for each kind of code, so switching puts the cursor in it.
                key={recovery ? 'recovery' : 'app'}
                value={code.value}
                onChange={code.onChange}
                error={code.problem}
                recovery={recovery}
                autoFocus
              />
              <Button type="submit" loading={step.isPending} fullWidth>
                {pending.enrol ? 'Turn on and sign in' : 'Sign in'}
              </Button>
              {!pending.enrol && (
                <Anchor
                  component="button"
                  type="button"
                  size="sm"
                  onClick={() => {
                    setRecovery((r) => !r);
                    code.clear();
                    step.reset();
                  }}
                >
                  {recovery ? 'Use the code from my app' : 'Lost your phone? Use a recovery code'}
                </Anchor>
              )}
              <Anchor component="button" type="button" size="sm" onClick={props.onRestart}>
                Start again with another account
              </Anchor>
            </>
          )}
        </Stack>
      </form>
    </Shell>
  );
}
