import { useEffect } from 'react';

/** "Reports · Cleanup Console" — tabs and history entries say where they lead. */
export function useDocumentTitle(...parts: (string | null | undefined)[]): void {
  const title = [...parts.filter(Boolean), 'Cleanup Console'].join(' · ');
  useEffect(() => {
    document.title = title;
  }, [title]);
}
