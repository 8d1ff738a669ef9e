import { Badge } from '@/components/ui/Badge';
import { Card, EmptyState } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import type { Notice, Report } from '@/lib/api/types';
import { formatDateTime, formatNumber } from '@/lib/format';
import { NOTICE_STATUS_LABEL } from '@/lib/labels/notice-status';
import { usePageParam } from '@/lib/pagination';
import { isActiveStatus } from '@/lib/report-status';
import { useReportNotices } from '../api/get-report-notices';

/** Why a run's list of warned users is empty, in its words. */
function nobodyWarned(report: Report): { title: string; text: string } {
  if (isActiveStatus(report.status) && report.status !== 'awaiting_approval') {
    return { title: 'Nobody yet', text: 'Users appear here as the run warns them.' };
  }
  if (report.dry_run) {
    const would = report.users_warned ? ` A real run would have warned ${formatNumber(report.users_warned)}.` : '';
    return { title: 'Nobody was warned', text: `A dry run sends no email.${would}` };
  }
  if (report.status === 'awaiting_approval') {
    return { title: 'Nobody warned yet', text: 'The run stopped at the safety cap before warning anyone; it warns them if a tenant admin approves it.' };
  }
  if (report.status === 'aborted') return { title: 'Nobody was warned', text: 'The run stopped before warning anyone.' };
  if ((report.policy as { notice_days?: unknown } | null)?.notice_days === 0) {
    return { title: 'Nobody was warned by this run', text: 'Its policy warns nobody first (0 notice days): accounts are removed without an email.' };
  }
  return { title: 'Nobody was warned by this run', text: 'Nobody was due a warning: users are warned once, before their account is removed.' };
}

function NoticeRow({ notice }: { notice: Notice }) {
  return (
    <tr>
      <td>
        <span className="strong">{notice.username ?? <span className="muted">account deleted</span>}</span>
        <span className="muted small block">{notice.email}</span>
      </td>
      <td>
        <Badge
          tone={notice.status === 'sent' ? 'success' : notice.status === 'undeliverable' ? 'warning' : 'neutral'}
          title={NOTICE_STATUS_LABEL[notice.status].title}
        >
          {NOTICE_STATUS_LABEL[notice.status].label}
        </Badge>
        {notice.status === 'undeliverable' && notice.error && <span className="muted small block">{notice.error}</span>}
        {notice.status === 'pending' && notice.attempts > 0 && (
          <span className="muted small block">
            {notice.attempts} failed {notice.attempts === 1 ? 'attempt' : 'attempts'}, retrying
          </span>
        )}
      </td>
      <td>{notice.sent_at ? <time dateTime={notice.sent_at}>{formatDateTime(notice.sent_at)}</time> : <span className="muted">not yet</span>}</td>
      <td>
        <time dateTime={notice.due_at}>{formatDateTime(notice.due_at)}</time>
      </td>
    </tr>
  );
}

/** Who a run warned by email (its notices), beside the audit list of who it removed. */
export function WarnedList({ report }: { report: Report }) {
  const [page, setPage] = usePageParam('warned_page');
  const notices = useReportNotices(report.id, page);
  const empty = nobodyWarned(report);
  return (
    <Card title="Users warned by email">
      <QueryState
        query={notices}
        loading="Loading who this run warned…"
        errorTitle="Could not load who this run warned"
        isEmpty={(data) => data.count === 0}
        empty={<EmptyState title={empty.title}>{empty.text}</EmptyState>}
      >
        {(data) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">Users run #{report.id} warned</caption>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Notice</th>
                    <th scope="col">Sent</th>
                    <th scope="col">Removal due</th>
                  </tr>
                </thead>
                <tbody>
                  {data.results.map((notice) => (
                    <NoticeRow key={`${notice.user_id}-${notice.created_at}`} notice={notice} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination data={data} page={page} onPage={setPage} noun="users" busy={notices.isFetching} />
          </>
        )}
      </QueryState>
    </Card>
  );
}
