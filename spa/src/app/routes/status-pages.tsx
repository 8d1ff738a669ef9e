import { Link } from 'react-router';
import { Card, EmptyState } from '@/components/ui/Card';

export function NotFound() {
  return (
    <Card>
      <EmptyState title="Page not found" action={<Link to="/">Go to the start page</Link>}>
        There is nothing at this address.
      </EmptyState>
    </Card>
  );
}

export function RoleRequired({ title, body }: { title: string; body: string }) {
  return (
    <div className="role-required">
      <Card>
        <div className="empty-state">
          <div className="role-icon" aria-hidden="true">
            🔒
          </div>
          <h1 className="empty-title">{title}</h1>
          <p className="empty-text">{body}</p>
        </div>
      </Card>
    </div>
  );
}
