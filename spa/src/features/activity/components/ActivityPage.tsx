import { Link } from 'react-router';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import { VERB_LABEL } from '@/lib/labels/activity-verb';
import { describePolicyChange } from '@/lib/labels/policy-field';
import { roleLabel } from '@/lib/labels/role';
import type { ActivityEvent } from '@/lib/api/types';
import { formatDateTime, formatNumber, formatRelative } from '@/lib/format';
import { useHost } from '@/lib/host';
import { usePageParam } from '@/lib/pagination';
import { useDocumentTitle } from '@/lib/use-document-title';
import { useActivity } from '../api/get-activity';

/**
 * Who did what, when: the host's own log. On a tenant host its admins'
 * actions, on the root host the operators' (the server decides which).
 */
export function ActivityPage() {
  const [page, setPage] = usePageParam();
  const activity = useActivity(page);
  const operators = useHost().console === 'platform';
  useDocumentTitle('Activity');

  return (
    <>
      <PageHeader
        title="Activity"
        description={
          operators
            ? 'What operators did on the platform: tenants created and cleanups started across tenants. Newest first.'
            : 'Who changed the policy, started or approved runs, undid them and exempted users. Newest first.'
        }
      />
      <Card>
        <QueryState
          query={activity}
          loading="Loading activity…"
          errorTitle="Could not load the activity log"
          isEmpty={(data) => data.count === 0}
          empty={<EmptyState title="Nothing has happened yet">Every admin action will be listed here as it happens.</EmptyState>}
        >
          {(data) => (
            <>
              <div className="table-wrap">
                <table className="table activity-table">
                  <caption className="sr-only">Activity log</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">What</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.results.map((event) => (
                      <tr key={event.id}>
                        <td className="nowrap">
                          <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                          <span className="muted small block">{formatRelative(event.at)}</span>
                        </td>
                        <td className="strong">{event.actor}</td>
                        <td>
                          <span className="activity-verb">{VERB_LABEL[event.verb]}</span>
                          <EventDetails event={event} operators={operators} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination data={data} page={page} onPage={setPage} noun="events" busy={activity.isFetching} />
            </>
          )}
        </QueryState>
      </Card>
    </>
  );
}

const asNumber = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) ? value : null);
const asText = (value: unknown): string | null => (typeof value === 'string' && value ? value : null);

function asChange(value: unknown): { old?: unknown; new?: unknown } {
  return value && typeof value === 'object' ? (value as { old?: unknown; new?: unknown }) : {};
}

function EventDetails({ event, operators }: { event: ActivityEvent; operators: boolean }) {
  const { data, target } = event;
  switch (event.verb) {
    case 'policy.updated':
      return (
        <ul className="activity-details activity-changes" aria-label="Changes">
          {Object.entries(data).map(([field, change]) => (
            <li key={field}>{describePolicyChange(field, asChange(change))}</li>
          ))}
        </ul>
      );
    case 'exemption.created':
    case 'exemption.deleted': {
      const until = asText(data.expires_at);
      return (
        <p className="activity-details">
          <span className="strong">{target}</span>
          {asText(data.reason) && <> — “{asText(data.reason)}”</>}
          <span className="muted"> · {until ? `until ${formatDateTime(until)}` : 'no end date'}</span>
        </p>
      );
    }
    case 'user.role_changed':
      return (
        <p className="activity-details">
          <span className="strong">{target}</span>: {roleLabel(data.old)} → {roleLabel(data.new)}
        </p>
      );
    case 'tenant.created': {
      const name = asText(data.name);
      return (
        <p className="activity-details">
          {operators ? <Link to={`/tenants/${encodeURIComponent(target)}`}>{target}</Link> : target}
          {name && <> ({name})</>}
          {asText(data.domain) && <span className="muted"> at {asText(data.domain)}</span>}
          {asText(data.admin) && <span className="muted">, first admin {asText(data.admin)}</span>}
        </p>
      );
    }
    case 'platform.triggered': {
      const skipped = Array.isArray(data.skipped_tenants) ? (data.skipped_tenants as { tenant?: unknown; reason?: unknown }[]) : [];
      return (
        <div className="activity-details">
          <p>
            {target}: {formatNumber(asNumber(data.queued) ?? 0)} started, {formatNumber(asNumber(data.skipped) ?? 0)} skipped
            {data.dry_run === true && <span className="muted"> · dry runs</span>}
          </p>
          {skipped.length > 0 && (
            <ul className="muted small" aria-label="Skipped tenants">
              {skipped.map((entry, i) => (
                <li key={i}>
                  {String(entry.tenant)}: {String(entry.reason)}
                </li>
              ))}
            </ul>
          )}
        </div>
      );
    }
    default:
      return <RunDetails event={event} operators={operators} />;
  }
}

/** cleanup.triggered and what the approval and undo endpoints write: a run, perhaps a user. */
function RunDetails({ event, operators }: { event: ActivityEvent; operators: boolean }) {
  const reportId = asNumber(event.data.report_id);
  const username = asText(event.data.username);
  return (
    <p className="activity-details">
      {reportId !== null && !operators ? <Link to={`/reports/${reportId}`}>Run #{reportId}</Link> : event.target}
      {username && <> · {username}</>}
      {event.data.dry_run === true && <span className="muted"> (dry run)</span>}
    </p>
  );
}
