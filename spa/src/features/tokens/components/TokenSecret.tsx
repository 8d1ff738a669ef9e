import { useEffect, useId, useRef, useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import type { ApiTokenCreated } from '@/lib/api/types';
import { formatDateTime } from '@/lib/format';

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * A new token's secret, shown this once: a read-only field (focused and selected, so
 * Ctrl+C works at once) and a Copy button. Without the Clipboard API (an insecure origin,
 * a refused permission) it says how to copy by hand.
 */
export function TokenSecret({ token }: { token: ApiTokenCreated }) {
  const field = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<CopyState>('idle');
  const id = useId();

  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, []);

  const copyToken = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(token.token);
      setCopy('copied');
    } catch {
      field.current?.select();
      setCopy('failed');
    }
  };

  return (
    <div className="form-stack">
      <Alert tone="warning" title="You will not see this token again">
        Copy it now and keep it where your script reads its secrets. The server keeps only a hash of it: if you lose it, revoke it and create another.
      </Alert>
      <div className="field">
        <label className="field-label" htmlFor={id}>
          API token “{token.name}”
        </label>
        <div className="secret-row">
          <input
            ref={field}
            id={id}
            className="input mono"
            value={token.token}
            readOnly
            spellCheck={false}
            autoComplete="off"
            onFocus={(e) => e.currentTarget.select()}
            aria-describedby={`${id}-hint`}
          />
          <Button onClick={() => void copyToken()}>Copy</Button>
        </div>
        <p className="field-hint" id={`${id}-hint`}>
          Send it as <code className="mono">Authorization: Bearer {token.prefix ? `cc_${token.prefix}_…` : '…'}</code>. It expires{' '}
          {formatDateTime(token.expires_at)}.
        </p>
      </div>
      <p role="status" className={copy === 'failed' ? 'field-error' : 'muted small'}>
        {copy === 'copied' && 'Copied to the clipboard.'}
        {copy === 'failed' && 'This browser did not let the page copy it: the token is selected in the field above, press Ctrl+C (⌘C on a Mac) to copy it.'}
      </p>
    </div>
  );
}
