import { Alert, Button, Center, Loader, Skeleton, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft, IconFileUnknown, IconLock } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '../app/api.ts';

export function FullPageLoader({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center h="100vh" aria-busy="true">
      <Stack align="center" gap="xs">
        <Loader />
        <Text c="dimmed" size="sm">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}

/** A 403 (other than "enter the master code") or a 404: the answer, not a hiccup worth retrying. */
export function isDeniedOrMissing(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  if (error.status === 404) return true;
  return error.status === 403 && error.problem?.type !== 'urn:steward:problem:elevation-required';
}

/**
 * What a page shows when its data did not load. A 403 or 404 is the answer, not a hiccup: it is
 * said plainly ("You don't have access to this page", "Not found") with no button to try again.
 */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  const status = error instanceof ApiError ? error.status : 0;
  if (isDeniedOrMissing(error)) {
    return (
      <Alert
        color="gray"
        icon={status === 403 ? <IconLock size={18} /> : <IconFileUnknown size={18} />}
        title={status === 403 ? 'You don’t have access to this page' : 'Not found'}
        role="alert"
      >
        <Text size="sm">{message}</Text>
      </Alert>
    );
  }
  return (
    <Alert color="red" icon={<IconAlertTriangle size={18} />} title="This could not be loaded" role="alert">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{message}</Text>
        {onRetry && (
          <Button size="xs" variant="light" color="red" onClick={onRetry}>
            Try again
          </Button>
        )}
      </Stack>
    </Alert>
  );
}

export function EmptyState({
  title,
  description,
  action,
}: {
  title: string;
  description?: string;
  action?: ReactNode;
}) {
  return (
    <Center py="xl">
      <Stack align="center" gap={4}>
        <Text fw={600}>{title}</Text>
        {description && (
          <Text c="dimmed" size="sm" ta="center" maw={420}>
            {description}
          </Text>
        )}
        {action}
      </Stack>
    </Center>
  );
}

/** Placeholder rows while a table loads, so the page does not jump. */
export function TableLoader({ rows = 5 }: { rows?: number }) {
  return (
    <Stack gap="xs" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={String(i)} height={36} radius="sm" />
      ))}
    </Stack>
  );
}

/** "← Inventory": back to the list a detail page belongs to. */
export function BackLink({ to, label }: { to: string; label: string }) {
  const navigate = useNavigate();
  return (
    <Button variant="subtle" w="fit-content" leftSection={<IconArrowLeft size={14} />} onClick={() => navigate(to)}>
      {label}
    </Button>
  );
}
