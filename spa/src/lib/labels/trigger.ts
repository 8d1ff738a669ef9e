import type { ReportTrigger } from '../api/types';

/** What started a run: "Manual run by admin", "Scheduled run". */
export const TRIGGER_LABEL: Record<ReportTrigger, string> = {
  manual: 'Manual',
  schedule: 'Scheduled',
  platform: 'Platform operator',
  scim: 'Identity provider (SCIM)',
};
