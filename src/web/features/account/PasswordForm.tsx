import { Alert, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import type { Me } from '../../../shared/contracts/auth.ts';
import { passwordProblems } from '../../../shared/password-policy.ts';
import { ApiError } from '../../app/api.ts';
import { useChangePassword } from '../../app/session.queries.ts';

/** Change your own password: every other session ends; this one continues under a new id. */
export function PasswordForm({
  onChanged,
  submitLabel = 'Change password',
}: {
  onChanged: (me: Me) => void;
  submitLabel?: string;
}) {
  const form = useForm({
    mode: 'controlled',
    initialValues: { currentPassword: '', newPassword: '', repeat: '' },
    validate: {
      currentPassword: (v) => (v ? null : 'Enter your current password.'),
      // The default policy as a first check; the server applies the business's own policy.
      newPassword: (v) => passwordProblems(v)[0] ?? null,
      repeat: (v, all) => (v === all.newPassword ? null : 'The two new passwords differ.'),
    },
  });
  const change = useChangePassword();
  const submit = (v: typeof form.values) =>
    change.mutate(
      { currentPassword: v.currentPassword, newPassword: v.newPassword },
      {
        onSuccess: (me) => {
          form.reset();
          onChanged(me);
        },
        onError: (err) => {
          if (err instanceof ApiError) form.setErrors(err.fieldErrors());
        },
      },
    );
  const general =
    change.error instanceof ApiError && Object.keys(change.error.fieldErrors()).length === 0
      ? change.error.message
      : null;
  return (
    <form onSubmit={form.onSubmit(submit)} noValidate aria-label="Change password">
      <Stack maw={420}>
        <PasswordInput
          label="Current password"
          autoComplete="current-password"
          data-autofocus
          {...form.getInputProps('currentPassword')}
        />
        <PasswordInput
          label="New password"
          autoComplete="new-password"
          description="At least 8 characters with an upper-case letter, a lower-case letter and a digit."
          {...form.getInputProps('newPassword')}
        />
        <PasswordInput label="New password again" autoComplete="new-password" {...form.getInputProps('repeat')} />
        {general && (
          <Alert color="red" role="alert">
            {general}
          </Alert>
        )}
        <Text size="xs" c="dimmed">
          Your other sessions end when you change it.
        </Text>
        <Button type="submit" loading={change.isPending} w="fit-content">
          {submitLabel}
        </Button>
      </Stack>
    </form>
  );
}
