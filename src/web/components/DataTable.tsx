import { Anchor, Group, Pagination, Table, type TableProps, Text, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconChevronUp, IconSelector } from '@tabler/icons-react';
import { Fragment, type KeyboardEvent, type MouseEvent, type ReactNode, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { EmptyState, ErrorState, TableLoader } from './states.tsx';

export type SortOrder = 'asc' | 'desc';
export type SortState = { by: string; order: SortOrder };

export type Column<T> = {
  /** Names the column; for a sortable column also the sort field sent to the server. */
  key: string;
  header: ReactNode;
  /** For a header that is not plain text (e.g. a checkbox): the words a screen reader should hear. */
  label?: string;
  cell: (row: T) => ReactNode;
  /** The row's link goes on this cell (the first column when none is marked). */
  primary?: boolean;
  /** Sortable by the server (with `sort`/`onSort`), or in the browser with this value. */
  sortable?: boolean;
  sortValue?: (row: T) => string | number;
  width?: number | string;
  /** The cell's clicks stay in it (checkboxes, menus): they do not open the row. */
  stopRowClick?: boolean;
};

export type DataTableProps<T> = {
  /** What the table lists, for screen readers ("Items", "Users"). */
  label: string;
  columns: Column<T>[];
  rows: T[] | undefined;
  rowKey: (row: T) => string;
  /** A row with an address opens it: click, Enter on its link, ctrl/⌘-click or middle-click for a new tab. */
  rowHref?: (row: T) => string;
  /** A row without an address but with an action (e.g. a dialog): focusable, Enter or Space runs it. */
  onRowActivate?: (row: T) => void;
  /** Extra attributes for a row (`data-*` used by tests and styles). */
  rowAttributes?: (row: T) => Record<string, string>;
  /** A detail row shown under a row (e.g. an expanded audit event). */
  detail?: (row: T) => ReactNode;
  isPending?: boolean;
  error?: unknown;
  onRetry?: () => void;
  empty: { title: string; description?: string; action?: ReactNode };
  loadingRows?: number;
  /** Server-side sorting: the current sort and what to do when a header is chosen. */
  sort?: SortState;
  onSort?: (sort: SortState) => void;
  /** Server-side paging. Without it, rows beyond `pageSize` are paged in the browser. */
  paging?: { page: number; pageSize: number; total: number; onPage: (page: number) => void };
  pageSize?: number;
  /** Shown under the table (a count, a "show older" button). */
  footer?: ReactNode;
  tableProps?: Omit<TableProps, 'children'>;
};

const INTERACTIVE =
  'a, button, input, select, textarea, label, [role="menuitem"], [role="checkbox"], [data-row-ignore]';

/**
 * A table that may be wider than the screen scrolls inside this box, so the page never scrolls
 * sideways. The box is a named region reachable by Tab (a keyboard scrolls it with the arrow
 * keys), and positioned so that visually hidden headers stay inside it.
 */
export function TableBox({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.ScrollContainer minWidth={0} type="native" pos="relative" tabIndex={0} role="region" aria-label={label}>
      {children}
    </Table.ScrollContainer>
  );
}

/** Sorting, paging, loading / error / empty states and keyboard row activation over Mantine's Table. */
export function DataTable<T>(props: DataTableProps<T>) {
  const navigate = useNavigate();
  const [localSort, setLocalSort] = useState<SortState | null>(null);
  const [localPage, setLocalPage] = useState(1);
  const { columns, rowHref, onRowActivate } = props;
  const serverSort = props.onSort !== undefined;
  const sort = serverSort ? (props.sort ?? null) : localSort;

  if (props.error) return <ErrorState error={props.error} onRetry={props.onRetry} />;
  if (props.isPending || props.rows === undefined) return <TableLoader rows={props.loadingRows ?? 5} />;
  if (props.rows.length === 0) return <EmptyState {...props.empty} />;

  let rows = props.rows;
  const sortColumn = sort && columns.find((c) => c.key === sort.by);
  if (!serverSort && sort && sortColumn?.sortValue) {
    const value = sortColumn.sortValue;
    const dir = sort.order === 'asc' ? 1 : -1;
    rows = [...rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
    });
  }
  const pageSize = props.paging?.pageSize ?? props.pageSize ?? 50;
  const total = props.paging?.total ?? rows.length;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const page = props.paging?.page ?? Math.min(localPage, pages);
  if (!props.paging && pages > 1) rows = rows.slice((page - 1) * pageSize, page * pageSize);
  const primary = columns.find((c) => c.primary) ?? columns.find((c) => !c.stopRowClick);

  const chooseSort = (key: string) => {
    const next: SortState = { by: key, order: sort?.by === key && sort.order === 'asc' ? 'desc' : 'asc' };
    if (serverSort) props.onSort?.(next);
    else setLocalSort(next);
  };
  const open = (row: T, newTab: boolean) => {
    const href = rowHref?.(row);
    if (href && newTab) window.open(href, '_blank', 'noopener');
    else if (href) navigate(href);
    else onRowActivate?.(row);
  };
  const onClick = (row: T) => (e: MouseEvent<HTMLTableRowElement>) => {
    if ((e.target as HTMLElement).closest(INTERACTIVE)) return;
    if (window.getSelection()?.toString()) return; // selecting text is not opening
    open(row, e.ctrlKey || e.metaKey);
  };
  const onAuxClick = (row: T) => (e: MouseEvent<HTMLTableRowElement>) => {
    if (e.button !== 1 || (e.target as HTMLElement).closest(INTERACTIVE) || !rowHref) return;
    e.preventDefault();
    open(row, true);
  };
  const onKeyDown = (row: T) => (e: KeyboardEvent<HTMLTableRowElement>) => {
    if (e.target !== e.currentTarget || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    open(row, false);
  };
  const activatable = rowHref !== undefined || onRowActivate !== undefined;

  return (
    <>
      {/* A wide table scrolls inside its own box; the page itself never scrolls sideways. The box is
          positioned so that visually hidden headers (absolutely placed) stay inside it too. */}
      <TableBox label={props.label}>
        <Table highlightOnHover={activatable} verticalSpacing="xs" aria-label={props.label} {...props.tableProps}>
          <Table.Thead>
            <Table.Tr>
              {columns.map((c) => {
                const sortable = c.sortable || c.sortValue !== undefined;
                const active = sort?.by === c.key;
                const ariaSort = active ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined;
                return (
                  <Table.Th key={c.key} w={c.width} aria-sort={sortable ? (ariaSort ?? 'none') : undefined}>
                    {sortable ? (
                      <UnstyledButton onClick={() => chooseSort(c.key)} aria-label={`Sort by ${c.label ?? c.header}`}>
                        <Group gap={2} wrap="nowrap">
                          <Text fw={700} size="sm">
                            {c.header}
                          </Text>
                          {!active ? (
                            <IconSelector size={14} aria-hidden opacity={0.5} />
                          ) : sort.order === 'asc' ? (
                            <IconChevronUp size={14} aria-hidden />
                          ) : (
                            <IconChevronDown size={14} aria-hidden />
                          )}
                        </Group>
                      </UnstyledButton>
                    ) : (
                      c.header
                    )}
                  </Table.Th>
                );
              })}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => {
              const key = props.rowKey(row);
              const href = rowHref?.(row);
              const detail = props.detail?.(row);
              return (
                <Fragment key={key}>
                  <Table.Tr
                    {...props.rowAttributes?.(row)}
                    style={activatable ? { cursor: 'pointer' } : undefined}
                    onClick={activatable ? onClick(row) : undefined}
                    onAuxClick={href ? onAuxClick(row) : undefined}
                    // A row with a link is reached through its link; one with only an action is focusable itself.
                    tabIndex={!href && onRowActivate ? 0 : undefined}
                    onKeyDown={!href && onRowActivate ? onKeyDown(row) : undefined}
                  >
                    {columns.map((c) => (
                      <Table.Td key={c.key} data-row-ignore={c.stopRowClick ? '' : undefined}>
                        {href && c === primary ? (
                          <Anchor component={Link} to={href} c="inherit" underline="hover" size="sm">
                            {c.cell(row)}
                          </Anchor>
                        ) : (
                          c.cell(row)
                        )}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                  {detail && (
                    <Table.Tr id={`${key}-detail`}>
                      <Table.Td colSpan={columns.length} bg="gray.0">
                        {detail}
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              );
            })}
          </Table.Tbody>
        </Table>
      </TableBox>
      {(props.footer || pages > 1) && (
        <Group justify="space-between">
          <div>{props.footer}</div>
          {pages > 1 && (
            <Pagination
              total={pages}
              value={page}
              onChange={props.paging?.onPage ?? setLocalPage}
              getControlProps={(control) => ({ 'aria-label': `${control} page` })}
              getItemProps={(p) => ({ 'aria-label': `Page ${p}` })}
            />
          )}
        </Group>
      )}
    </>
  );
}
