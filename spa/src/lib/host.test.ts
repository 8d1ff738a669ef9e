import { tenantFromHostname } from './host';

describe('tenantFromHostname', () => {
  it.each([
    ['localhost', null],
    ['127.0.0.1', null],
    ['acme.localhost', 'acme'],
    ['ACME.localhost', 'acme'],
    ['example.com', null],
    ['acme.example.com', 'acme'],
    ['acme.eu.example.com', 'acme'],
  ])('%s → %s', (host, tenant) => {
    expect(tenantFromHostname(host)).toBe(tenant);
  });
});
