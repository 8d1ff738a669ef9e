import { ApiError, nestedFieldErrors } from './errors';

describe('ApiError', () => {
  it('uses the detail as the message', () => {
    expect(new ApiError(409, { detail: 'A cleanup is already running.', report_id: 3 }).message).toBe('A cleanup is already running.');
  });

  it('keeps field errors and names the first one in the message', () => {
    const error = new ApiError(400, { inactive_days: ['Ensure this value is less than or equal to 3650.'] });
    expect(error.fieldErrors).toEqual({ inactive_days: ['Ensure this value is less than or equal to 3650.'] });
    expect(error.message).toBe('Inactive days: Ensure this value is less than or equal to 3650.');
  });

  it('explains a network failure and a server error in words', () => {
    expect(new ApiError(0, null).message).toMatch(/could not reach the server/i);
    expect(new ApiError(500, '<html>').message).toMatch(/server ran into a problem/i);
  });

  it('flattens nested serializer errors to dotted names', () => {
    expect(nestedFieldErrors({ admin: { password: ['Too short.'] }, name: ['Required.'] })).toEqual({ 'admin.password': ['Too short.'], name: ['Required.'] });
  });
});
