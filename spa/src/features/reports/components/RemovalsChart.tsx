import { useId } from 'react';
import type { Report } from '@/lib/api/types';
import { formatDateTime, formatNumber } from '@/lib/format';
import { isActiveStatus, usersReallyRemoved, wouldRemove } from '@/lib/report-status';

const W = 640;
const H = 200;
const PAD = { top: 12, right: 8, bottom: 28, left: 40 };

function axisLabel(when: string, timeOnly: boolean): string {
  const date = new Date(when);
  return timeOnly
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

function niceMax(value: number): number {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

function barLabel(run: Report, value: number): string {
  if (wouldRemove(run)) return `${formatNumber(value)} would be removed (dry run)`;
  if (run.counts_are_would) {
    const would = run.users_removed ? `; ${formatNumber(run.users_removed)} would have been` : '';
    return `nobody removed (${run.dry_run ? 'dry run, ' : ''}${run.status}${would})`;
  }
  return `${formatNumber(value)} removed${run.status === 'succeeded' ? '' : ` (${run.status})`}`;
}

/**
 * Users removed per run, oldest on the left. Dry runs show what they would
 * have removed, hatched, so the trend is visible before anyone opts in. An
 * aborted run (over the cap, rejected, expired) removed nobody: its bar is
 * empty, and its tooltip says what it would have removed.
 */
export function RemovalsChart({ reports }: { reports: Report[] }) {
  const patternId = useId();
  const runs = reports
    .filter((r) => !isActiveStatus(r.status))
    .slice()
    .reverse();
  if (runs.length === 0) return null;
  // A dry run's bar is what it would have removed (hatched); any other run's is what it removed.
  const values = runs.map((r) => (wouldRemove(r) ? r.users_removed : usersReallyRemoved(r)));
  const max = niceMax(Math.max(...values, 1));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = innerW / runs.length;
  const barW = Math.max(4, Math.min(36, slot * 0.7));
  const ticks = [0, max / 2, max];
  const labelEvery = Math.ceil(runs.length / 8);
  const total = runs.reduce((sum, r) => sum + usersReallyRemoved(r), 0);
  const times = runs.map((r) => new Date(r.finished_at ?? r.created_at).getTime());
  const sameDay = Math.max(...times) - Math.min(...times) < 36 * 3600_000;

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Users removed per run for the last ${runs.length} runs; ${formatNumber(total)} removed in total`}
        preserveAspectRatio="xMidYMid meet"
      >
        <defs>
          <pattern id={patternId} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" className="chart-dry-bg" />
            <line x1="0" y1="0" x2="0" y2="6" className="chart-dry-line" strokeWidth="3" />
          </pattern>
        </defs>
        {ticks.map((t) => {
          const y = PAD.top + innerH - (t / max) * innerH;
          return (
            <g key={t}>
              <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} className="chart-grid" />
              <text x={PAD.left - 6} y={y + 4} textAnchor="end" className="chart-axis">
                {formatNumber(Math.round(t))}
              </text>
            </g>
          );
        })}
        {runs.map((run, i) => {
          const value = values[i] ?? 0;
          const h = (value / max) * innerH;
          const x = PAD.left + slot * i + (slot - barW) / 2;
          const y = PAD.top + innerH - h;
          const when = run.finished_at ?? run.created_at;
          return (
            <g key={run.id}>
              <rect
                x={x}
                y={y}
                width={barW}
                height={Math.max(h, value > 0 ? 1 : 0)}
                rx={2}
                className={wouldRemove(run) ? 'chart-bar chart-bar-dry' : `chart-bar chart-bar-${run.status}`}
                style={wouldRemove(run) ? { fill: `url(#${patternId})` } : undefined}
              >
                <title>{`Run #${run.id} · ${formatDateTime(when)} · ${barLabel(run, value)}`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text x={x + barW / 2} y={H - 8} textAnchor="middle" className="chart-axis">
                  {axisLabel(when, sameDay)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-legend">
        <span>
          <span className="legend-swatch legend-removed" aria-hidden="true" /> Removed
        </span>
        <span>
          <span className="legend-swatch legend-dry" aria-hidden="true" /> Dry run (would remove)
        </span>
      </figcaption>
    </figure>
  );
}
