import { Stat } from '@/components/ui/Card';
import type { Report } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';

/** What a run did in each stage (docs/architecture.md#notices-and-the-keep-link) — or, for a dry run or one that changed nobody (awaiting approval, aborted), would do. */
export function StageStats({ report }: { report: Report }) {
  const would = report.counts_are_would;
  return (
    <>
      <Stat label={would ? 'Would warn' : 'Warned'} value={formatNumber(report.users_warned)} hint="by email, before removal" />
      <Stat label={would ? 'Would deactivate' : 'Deactivated'} value={formatNumber(report.users_deactivated)} />
      <Stat
        label={would ? 'Would delete' : 'Deleted'}
        value={formatNumber(report.users_deleted)}
        hint={report.action === 'deactivate' && report.users_deleted ? 'after the restore window' : undefined}
      />
    </>
  );
}
