/** Determinate progress, or an indeterminate stripe while waiting (no aria-valuenow). */
export function ProgressBar({ value, label, indeterminate = false }: { value: number; label: string; indeterminate?: boolean }) {
  const pct = Math.max(0, Math.min(100, Math.round(value * 100)));
  if (indeterminate) {
    return (
      <div className="progress progress-indeterminate" role="progressbar" aria-label={label} aria-valuetext="Waiting to start">
        <div className="progress-fill" />
      </div>
    );
  }
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-valuetext={`${pct}%`}>
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}
