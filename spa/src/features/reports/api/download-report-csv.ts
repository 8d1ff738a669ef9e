import { useMutation } from '@tanstack/react-query';
import { requestBlob } from '@/lib/api/client';
import { saveBlob } from '@/lib/format';

/**
 * GET /api/reports/{id}/users/?format=csv — the whole audit list. A plain link
 * would not carry the Authorization header, so fetch it as a blob and save it.
 */
export async function downloadReportCsv(id: number): Promise<void> {
  const { blob, filename } = await requestBlob(`/api/reports/${id}/users/`, { query: { format: 'csv' } });
  saveBlob(blob, filename ?? `cleanup-report-${id}.csv`);
}

export function useDownloadReportCsv() {
  return useMutation({ mutationFn: downloadReportCsv });
}
