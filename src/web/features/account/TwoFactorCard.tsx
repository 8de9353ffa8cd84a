/** The account page's "Two-step sign-in" card: set it up, renew recovery codes, turn it off. */
import { Alert, Badge, Button, Card, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { TwoFactorEnrolment } from '../../../shared/contracts/two-factor.ts';
import { ApiError } from '../../app/api.ts';
import { formatDateTime, plural } from '../../app/format.ts';
import { ErrorState } from '../../components/states.tsx';
import { CodeField, EnrolmentStep, RecoveryCodesView, useCodeInput } from './TwoFactorParts.tsx';
import {
  useConfirmTwoFactor,
  useDisableTwoFactor,
  useRenewRecoveryCodes,
  useStartTwoFactor,
  useTwoFactorStatus,
} from './two-factor.queries.ts';

const messageOf = (e: unknown) => (e instanceof ApiError ? e.message : e ? 'Something went wrong. Try again.' : null);

export function TwoFactorCard({ timezone }: { timezone: string }) {
  const status = useTwoFactorStatus();
  const start = useStartTwoFactor();
  const [enrolment, setEnrolment] = useState<TwoFactorEnrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [proving, setProving] = useState<'renew' | 'disable' | null>(null);

  const s = status.data;
  return (
    <Card withBorder>
      <Stack>
        <Group justify="space-between">
          <Title order={2} size="h4">
            Two-step sign-in
          </Title>
          {s && (
            <Badge color={s.enabled ? 'teal' : 'gray'} variant="light">
              {s.enabled ? 'On' : 'Off'}
            </Badge>
          )}
        </Group>
        {status.isPending && <Text size="sm">Loading…</Text>}
        {status.error && <ErrorState error={status.error} onRetry={() => status.refetch()} />}
        {s && !s.enabled && (
          <>
            <Text size="sm">
              After your password, Steward asks for a code from an app on your phone, so a stolen password alone cannot
              open your account.
            </Text>
            {s.required && (
              <Alert color="orange" title="Required for your account">
                Your account holds critical permissions: you will be asked to set this up at your next sign-in.
              </Alert>
            )}
            {start.error && (
              <Alert color="red" role="alert">
                {messageOf(start.error)}
              </Alert>
            )}
            <Group>
              <Button loading={start.isPending} onClick={() => start.mutate(undefined, { onSuccess: setEnrolment })}>
                Set up two-step sign-in
              </Button>
            </Group>
          </>
        )}
        {s?.enabled && (
          <>
            <Text size="sm">
              On since {s.enabledAt ? formatDateTime(s.enabledAt, timezone) : '—'}.{' '}
              {plural(s.recoveryCodesLeft, 'recovery code')} left.
            </Text>
            {s.recoveryCodesLeft <= 2 && (
              <Alert color="orange" title="Few recovery codes left">
                Make new recovery codes so you can still sign in if you lose your phone.
              </Alert>
            )}
            <Group>
              <Button variant="light" onClick={() => setProving('renew')}>
                New recovery codes
              </Button>
              {s.required ? (
                <Text size="sm">Required for your account, so it cannot be turned off.</Text>
              ) : (
                <Button variant="light" color="red" onClick={() => setProving('disable')}>
                  Turn off
                </Button>
              )}
            </Group>
          </>
        )}
      </Stack>
      <Modal
        opened={enrolment !== null || codes !== null}
        onClose={() => {
          // The codes are shown once: closing without ticking "saved" keeps them on screen.
          if (codes === null) setEnrolment(null);
        }}
        title={codes ? 'Save your recovery codes' : 'Set up two-step sign-in'}
        closeButtonProps={{ 'aria-label': 'Close' }}
        withCloseButton={codes === null}
      >
        {codes ? (
          <RecoveryCodesView
            codes={codes}
            doneLabel="Done"
            onDone={() => {
              setCodes(null);
              setEnrolment(null);
            }}
          />
        ) : (
          enrolment && <ConfirmEnrolment enrolment={enrolment} onConfirmed={setCodes} />
        )}
      </Modal>
      <ProveModal
        mode={proving}
        onClose={() => setProving(null)}
        onRenewed={(c) => {
          setProving(null);
          setCodes(c);
        }}
      />
    </Card>
  );
}

function ConfirmEnrolment(props: { enrolment: TwoFactorEnrolment; onConfirmed: (codes: string[]) => void }) {
  const confirm = useConfirmTwoFactor();
  const code = useCodeInput();
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (code.check()) confirm.mutate(code.value, { onSuccess: (r) => props.onConfirmed(r.recoveryCodes) });
      }}
    >
      <Stack>
        <EnrolmentStep enrolment={props.enrolment} />
        <CodeField value={code.value} onChange={code.onChange} error={code.problem ?? messageOf(confirm.error)} />
        <Button type="submit" loading={confirm.isPending}>
          Turn on
        </Button>
      </Stack>
    </form>
  );
}

/** Asks for a current code (or a recovery code) before renewing the codes or turning it off. */
function ProveModal(props: {
  mode: 'renew' | 'disable' | null;
  onClose: () => void;
  onRenewed: (codes: string[]) => void;
}) {
  const renew = useRenewRecoveryCodes();
  const disable = useDisableTwoFactor();
  const code = useCodeInput();
  const close = () => {
    code.clear();
    renew.reset();
    disable.reset();
    props.onClose();
  };
  const busy = renew.isPending || disable.isPending;
  const recovery = /[a-z]/i.test(code.value);
  return (
    <Modal
      opened={props.mode !== null}
      onClose={close}
      title={props.mode === 'disable' ? 'Turn off two-step sign-in?' : 'Make new recovery codes?'}
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!code.check(recovery)) return;
          if (props.mode === 'disable') {
            disable.mutate(code.value, {
              onSuccess: () => {
                notifications.show({ color: 'teal', message: 'Two-step sign-in is off.' });
                close();
              },
            });
          } else {
            renew.mutate(code.value, {
              onSuccess: (r) => {
                code.clear();
                props.onRenewed(r.recoveryCodes);
              },
            });
          }
        }}
      >
        <Stack>
          <Text size="sm">
            {props.mode === 'disable'
              ? 'Your account will be protected by your password alone. Enter a code from your app to confirm.'
              : 'Your current recovery codes will stop working. Enter a code from your app to confirm.'}
          </Text>
          <CodeField
            value={code.value}
            onChange={code.onChange}
            error={code.problem ?? messageOf(renew.error ?? disable.error)}
            autoFocus
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" color={props.mode === 'disable' ? 'red' : undefined} loading={busy}>
              {props.mode === 'disable' ? 'Turn off' : 'Make new codes'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
