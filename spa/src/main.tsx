import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { loadHostConfig } from './lib/host';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// Which console this is comes from the server (a meta tag Django injects; the
// dev server asks /api/host/), so the login page knows it before anyone signs in.
loadHostConfig().then(
  (host) =>
    createRoot(root).render(
      <StrictMode>
        <App host={host} />
      </StrictMode>,
    ),
  (error: unknown) => {
    console.error(error);
    root.textContent = 'The Cleanup Console could not reach its server. Reload the page to try again.';
  },
);
