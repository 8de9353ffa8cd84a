import { useEffect } from 'react';

/** "Inventory · Steward": what a page is, first, so tabs and history entries tell pages apart. */
export function pageTitle(...parts: (string | null | undefined)[]): string {
  return [...parts.filter((p): p is string => Boolean(p)), 'Steward'].join(' · ');
}

/** Sets `document.title` for as long as the page is shown (item pages pass the item's name). */
export function usePageTitle(...parts: (string | null | undefined)[]): void {
  const title = pageTitle(...parts);
  useEffect(() => {
    document.title = title;
  }, [title]);
}
