import { Link } from 'react-router';
import { Card } from '@/components/ui/Card';

// A page of its own, so it has its own h1 (screen readers announce the page by it).
export function NotFound() {
  return (
    <Card>
      <div className="empty-state">
        <h1 className="empty-title">Page not found</h1>
        <p className="empty-text">There is nothing at this address.</p>
        <div className="empty-action">
          <Link to="/">Go to the start page</Link>
        </div>
      </div>
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
