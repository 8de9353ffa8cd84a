import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import { type ReactNode, useId, useRef, useState } from 'react';

/**
 * A dialog holding one form: its fields, a general error (field errors sit on the fields), and
 * Cancel / submit buttons. Enter submits; Escape cancels.
 */
export function FormDialog(props: {
  opened?: boolean;
  title: ReactNode;
  children: ReactNode;
  submitLabel: string;
  onSubmit: () => void;
  onClose: () => void;
  loading?: boolean;
  /** Why the submit button is disabled, said under it and tied to it (aria-describedby). */
  disabled?: string | false | null;
  danger?: boolean;
  error?: string | null;
  size?: string;
  zIndex?: number;
}) {
  const reasonId = useId();
  return (
    <Modal
      opened={props.opened ?? true}
      onClose={props.onClose}
      title={props.title}
      centered
      size={props.size}
      zIndex={props.zIndex}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!props.disabled) props.onSubmit();
        }}
        noValidate
      >
        <Stack>
          {props.children}
          {props.error && (
            <Alert color="red" role="alert" icon={<IconAlertTriangle size={16} />}>
              {props.error}
            </Alert>
          )}
          <Group justify="flex-end" wrap="wrap">
            {props.disabled && (
              <Text size="xs" c="dimmed" id={reasonId} style={{ flex: '1 1 12rem' }}>
                {props.disabled}
              </Text>
            )}
            <Group gap="sm" wrap="nowrap">
              <Button variant="default" onClick={props.onClose}>
                Cancel
              </Button>
              <Button
                type="submit"
                color={props.danger ? 'red' : undefined}
                loading={props.loading}
                disabled={Boolean(props.disabled)}
                aria-describedby={props.disabled ? reasonId : undefined}
              >
                {props.submitLabel}
              </Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/**
 * Asks before something that cannot be undone or matters a lot. With `reasonLabel`, a reason
 * is asked for too (it goes into the audit log).
 */
export function ConfirmDialog(props: {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  loading?: boolean;
  reasonLabel?: string;
  reasonRequired?: boolean;
  error?: string | null;
  onConfirm: (reason: string) => void;
  onClose: () => void;
}) {
  const [reason, setReason] = useState('');
  return (
    <FormDialog
      opened={props.opened}
      title={props.title}
      submitLabel={props.confirmLabel}
      danger={props.danger}
      loading={props.loading}
      error={props.error}
      disabled={props.reasonRequired === true && reason.trim().length < 3 && 'Give a reason of at least 3 characters.'}
      onClose={props.onClose}
      onSubmit={() => props.onConfirm(reason.trim())}
    >
      <div>{props.children}</div>
      {props.reasonLabel && (
        <Textarea
          label={props.reasonLabel}
          description="Recorded in the audit log."
          required={props.reasonRequired}
          autosize
          minRows={2}
          data-autofocus
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
        />
      )}
    </FormDialog>
  );
}

/** Shows a secret exactly once (temporary password, master code, API key) with a copy button. */
export function SecretDialog(props: {
  title: string;
  secret: string | null;
  children: ReactNode;
  onClose: () => void;
}) {
  // Keep showing the last secret while the dialog fades out.
  const last = useRef(props.secret);
  if (props.secret !== null) last.current = props.secret;
  return (
    <Modal
      opened={props.secret !== null}
      onClose={props.onClose}
      title={props.title}
      centered
      closeOnClickOutside={false}
    >
      <Stack>
        <Text size="sm">{props.children}</Text>
        <Group gap="xs" wrap="nowrap">
          <Code block style={{ flex: 1, fontSize: 18, letterSpacing: 1 }} data-testid="secret">
            {last.current}
          </Code>
          <CopyButton value={last.current ?? ''}>
            {({ copied, copy }) => (
              <Button
                variant="light"
                onClick={copy}
                leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
              >
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
        <Alert color="yellow" icon={<IconAlertTriangle size={16} />}>
          It will not be shown again. Steward keeps only a hash of it.
        </Alert>
        <Group justify="flex-end">
          <Button onClick={props.onClose}>Done</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
