import { Alert, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { type ReactNode, useId, useState } from 'react';

/** True when what was typed is the expected word (spaces around it and letter case do not matter). */
export function typedMatches(typed: string, expected: string): boolean {
  return typed.trim().toLowerCase() === expected.trim().toLowerCase();
}

/**
 * Acting on your own account (changing your role, denying yourself a permission, signing yourself
 * out everywhere) can lock you out, so the action waits until you type your email address, as
 * GitHub asks for a repository's name before deleting it. `expected` null: nothing to confirm.
 * Returns the field to show, whether the action may go ahead, and `why` it may not yet (for the
 * button's disabled reason: `ExplainedButton`'s `why`, `FormDialog`'s `disabled`).
 */
export function useTypedConfirmation(
  expected: string | null,
  what: ReactNode,
): { confirmed: boolean; why: string | false; field: ReactNode } {
  const [typed, setTyped] = useState('');
  const id = useId();
  if (expected === null) return { confirmed: true, why: false, field: null };
  const confirmed = typedMatches(typed, expected);
  return {
    confirmed,
    why: !confirmed && 'Type your email to confirm.',
    field: (
      <Alert
        color="red"
        variant="light"
        icon={<IconAlertTriangle size={16} />}
        title="This changes your own account"
        data-testid="typed-confirmation"
      >
        <Stack gap="xs">
          <Text size="sm">{what}</Text>
          <TextInput
            id={id}
            label={
              <>
                To confirm, type <strong>{expected}</strong>
              </>
            }
            autoComplete="off"
            spellCheck={false}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            description="The button below stays off until it matches."
          />
        </Stack>
      </Alert>
    ),
  };
}
