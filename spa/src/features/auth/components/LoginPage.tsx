import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Field } from '@/components/ui/Field';
import { ApiError, errorMessage, isValidationError, withoutField, type FieldErrors } from '@/lib/api/errors';
import { useHost } from '@/lib/host';
import { useSession } from '@/lib/session';
import { useObtainToken } from '../api/obtain-token';
import { useDocumentTitle } from '@/lib/use-document-title';

function loginError(error: unknown): string {
  if (isValidationError(error)) return 'Fix the highlighted fields.';
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Wrong username or password.';
    if (error.status === 429) return 'Too many attempts, try again later.';
  }
  return errorMessage(error);
}

/** The fields left blank, every one at once. */
function blankFields(username: string, password: string): FieldErrors {
  return {
    ...(username.trim() ? {} : { username: ['Enter your username.'] }),
    ...(password ? {} : { password: ['Enter your password.'] }),
  };
}

export function LoginPage() {
  // The tenant's own name, as the server says this host is (never read from the host name).
  const tenant = useHost().tenant?.name;
  useDocumentTitle(tenant ? `Sign in to ${tenant}` : 'Operator sign in');
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const login = useObtainToken();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [blank, setBlank] = useState<FieldErrors>({});
  const errors: FieldErrors = { ...(isValidationError(login.error) ? login.error.fieldErrors : {}), ...blank };

  const from = (location.state as { from?: string } | null)?.from;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const missing = blankFields(username, password);
    setBlank(missing);
    if (Object.keys(missing).length) {
      login.reset();
      return;
    }
    login.mutate(
      { username: username.trim(), password },
      {
        onSuccess: (tokens) => {
          session.signIn(tokens);
          navigate(from && from !== '/login' ? from : '/', { replace: true });
        },
      },
    );
  };

  return (
    <main className="login-page">
      <div className="login-card">
        <div className="login-brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          <span>Cleanup Console</span>
        </div>
        <h1 className="login-title">{tenant ? `Sign in to ${tenant}` : 'Operator sign in'}</h1>
        <p className="login-subtitle">
          {tenant ? (
            <>
              Tenant <strong>{tenant}</strong> · for tenant administrators
            </>
          ) : (
            'Platform console for managing every tenant'
          )}
        </p>
        {session.notice && !login.isError && <Alert tone="info">{session.notice}</Alert>}
        {login.isError && <Alert tone="error">{loginError(login.error)}</Alert>}
        <form onSubmit={submit} className="form-stack" noValidate>
          <Field label="Username" errors={errors.username}>
            <input
              className="input"
              name="username"
              autoComplete="username"
              autoFocus
              required
              value={username}
              onChange={(e) => {
                setUsername(e.target.value);
                setBlank((e) => withoutField(e, 'username'));
              }}
            />
          </Field>
          <Field label="Password" errors={errors.password}>
            <input
              className="input"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
                setBlank((e) => withoutField(e, 'password'));
              }}
            />
          </Field>
          <Button type="submit" variant="primary" busy={login.isPending} className="btn-block">
            {login.isPending ? 'Signing in…' : 'Sign in'}
          </Button>
        </form>
      </div>
    </main>
  );
}
