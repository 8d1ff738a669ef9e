import type { ReactNode } from 'react';
import { errorMessage } from '@/lib/api/errors';

interface AlertProps {
  tone?: 'error' | 'warning' | 'info' | 'success';
  title?: string;
  children: ReactNode;
  action?: ReactNode;
}

export function Alert({ tone = 'info', title, children, action }: AlertProps) {
  const urgent = tone === 'error' || tone === 'warning';
  return (
    <div className={`alert alert-${tone}`} role={urgent ? 'alert' : 'status'}>
      <div className="alert-body">
        {title && <strong className="alert-title">{title}</strong>}
        <div>{children}</div>
      </div>
      {action && <div className="alert-action">{action}</div>}
    </div>
  );
}

/** A failed request, in words, with a retry button when one makes sense. */
export function ErrorAlert({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <Alert
      tone="error"
      title={title}
      action={
        onRetry && (
          <button type="button" className="btn btn-secondary btn-sm" onClick={onRetry}>
            Try again
          </button>
        )
      }
    >
      {errorMessage(error)}
    </Alert>
  );
}
