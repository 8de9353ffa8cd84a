import { Alert, Button, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconLock } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { Me } from '../../shared/contracts/auth.ts';
import { ApiError, api, setCsrfToken, setElevationHandler } from '../app/api.ts';
import { formatTime } from '../app/format.ts';
import { keys } from '../app/query-keys.ts';

type Pending = { detail: string; resolve: (ok: boolean) => void };

/**
 * When a call answers "elevation required", asks for the master code, elevates the session and
 * lets the call be retried. Cancelling leaves the call failed with its own message.
 */
export function ElevationProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<Pending | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pendingRef = useRef<Pending | null>(null);
  pendingRef.current = pending;

  useEffect(() => {
    setElevationHandler(
      (problem) =>
        new Promise<boolean>((resolve) => {
          pendingRef.current?.resolve(false);
          setCode('');
          setError(null);
          setPending({ detail: problem.detail, resolve });
        }),
    );
    return () => setElevationHandler(null);
  }, []);

  const close = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };

  const submit = async () => {
    if (!code.trim()) {
      setError('Enter the master code.');
      return;
    }
    setBusy(true);
    try {
      const me = await api.post<Me>('/api/v1/auth/elevate', { code: code.trim() });
      setCsrfToken(me.csrfToken);
      queryClient.setQueryData(keys.me, me);
      notifications.show({
        color: 'teal',
        message: `Unlocked until ${formatTime(me.elevatedUntil, me.business.timezone)}.`,
      });
      close(true);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'The master code could not be checked.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {children}
      <Modal
        opened={pending !== null}
        onClose={() => close(false)}
        // Above whatever dialog started the call (e.g. a confirmation), which stays open behind it.
        zIndex={1000}
        title={
          <Group gap="xs">
            <IconLock size={18} />
            <Text fw={600}>Master code required</Text>
          </Group>
        }
        centered
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <Stack>
            <Text size="sm">{pending?.detail} Enter the studio’s master code to unlock it for a few minutes.</Text>
            <PasswordInput
              label="Master code"
              autoComplete="off"
              inputMode="numeric"
              data-autofocus
              value={code}
              onChange={(e) => {
                setCode(e.currentTarget.value);
                setError(null);
              }}
              error={error}
            />
            {error?.includes('disabled') && (
              <Alert color="red" role="alert">
                Ask an admin to rotate the master code in Settings → Sign-in & keys.
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => close(false)}>
                Cancel
              </Button>
              <Button type="submit" loading={busy}>
                Unlock
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
