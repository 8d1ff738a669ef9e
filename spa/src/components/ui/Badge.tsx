import type { ReactNode } from 'react';
import type { ReportStatus } from '@/lib/api/types';
import { STATUS_LABEL } from '@/lib/labels/report-status';

type Tone = 'neutral' | 'info' | 'success' | 'danger' | 'warning' | 'accent';

export function Badge({ tone = 'neutral', children, title }: { tone?: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

const STATUS_TONE: Record<ReportStatus, Tone> = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
  aborted: 'warning',
  awaiting_approval: 'accent',
};

export function StatusBadge({ status }: { status: ReportStatus }) {
  return (
    <span className={`badge badge-${STATUS_TONE[status]} badge-status`}>
      <span className={`dot ${status === 'running' ? 'dot-pulse' : ''}`} aria-hidden="true" />
      {STATUS_LABEL[status]}
    </span>
  );
}

export function DryRunBadge() {
  return (
    <Badge tone="accent" title="Dry run: reported only, nobody was changed">
      Dry run
    </Badge>
  );
}
