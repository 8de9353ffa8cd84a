import { Button, type ButtonProps, Group, Text } from '@mantine/core';
import { type ReactNode, useId } from 'react';

/**
 * A button that is disabled for a reason it says: `why` is shown beside it and tied to it with
 * aria-describedby, so nobody is left guessing what is missing ("No changes to save yet.").
 */
export function ExplainedButton({
  why,
  children,
  onClick,
  type = 'button',
  ...props
}: Omit<ButtonProps, 'disabled'> & {
  why?: string | false | null;
  children: ReactNode;
  onClick?: () => void;
  type?: 'button' | 'submit';
}) {
  const id = useId();
  return (
    <Group gap="xs" wrap="nowrap" justify="flex-end">
      {why && (
        <Text size="xs" c="dimmed" id={id} ta="right">
          {why}
        </Text>
      )}
      <Button
        {...props}
        type={type}
        onClick={onClick}
        disabled={Boolean(why)}
        aria-describedby={why ? id : undefined}
        style={{ flexShrink: 0 }}
      >
        {children}
      </Button>
    </Group>
  );
}
