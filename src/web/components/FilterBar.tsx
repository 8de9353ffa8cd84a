import { Button, Group, TextInput } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import type { ReactNode } from 'react';

/**
 * The row of filters above a list: a search box, the page's own filters, and "Clear" while any
 * filter is set. A search landmark, so screen-reader users can jump to it.
 */
export function FilterBar(props: {
  label: string;
  search?: { value: string; onChange: (value: string) => void; placeholder: string; label: string; width?: number };
  children?: ReactNode;
  /** Shown when any filter differs from its default; resets them all. */
  onClear?: (() => void) | null;
}) {
  return (
    <Group align="flex-end" role="search" aria-label={props.label}>
      {props.search && (
        <TextInput
          placeholder={props.search.placeholder}
          aria-label={props.search.label}
          leftSection={<IconSearch size={16} />}
          w={props.search.width ?? 300}
          value={props.search.value}
          onChange={(e) => props.search?.onChange(e.currentTarget.value)}
        />
      )}
      {props.children}
      {props.onClear && (
        <Button variant="subtle" size="xs" color="gray" onClick={props.onClear}>
          Clear filters
        </Button>
      )}
    </Group>
  );
}
