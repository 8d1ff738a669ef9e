import { useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { Field } from '@/components/ui/Field';

/**
 * A signing secret (`whsec_...`) as the create or rotate answer gave it: the only time the
 * server ever sends it. Closing the dialog forgets it.
 */
export function SecretDialog({ secret, title, children, onClose }: { secret: string | null; title: string; children?: React.ReactNode; onClose: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const close = () => {
    setCopied(null);
    onClose();
  };
  const copy = () => {
    if (!secret) return;
    // No clipboard (an insecure origin, a refused permission): the field can still be selected.
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) {
      setCopied('failed');
      return;
    }
    clipboard.writeText(secret).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  };
  return (
    <Dialog
      open={secret !== null}
      onClose={close}
      title={title}
      footer={
        <Button variant="primary" onClick={close}>
          Done
        </Button>
      }
    >
      <div className="form-stack">
        {children}
        <Alert tone="warning" title="Copy it now: you will not see it again">
          The console keeps no readable copy. Store it where your receiver reads its configuration; if it is lost, rotate the secret.
        </Alert>
        <Field label="Signing secret">
          <input className="input mono" readOnly value={secret ?? ''} onFocus={(e) => e.target.select()} spellCheck={false} />
        </Field>
        <div>
          <Button onClick={copy}>Copy</Button>{' '}
          <span role="status" className="muted small">
            {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Could not copy: select the secret and copy it by hand.' : ''}
          </span>
        </div>
      </div>
    </Dialog>
  );
}
