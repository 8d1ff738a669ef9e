export type FieldErrors = Record<string, string[]>;

/**
 * Every failed request becomes an ApiError. `message` is always a sentence a
 * person can read; `fieldErrors` carries DRF's `{field: [messages]}` for forms.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string | null;
  readonly fieldErrors: FieldErrors;
  readonly body: unknown;

  constructor(status: number, body: unknown, fallback?: string) {
    const { detail, fieldErrors } = parseErrorBody(body);
    super(detail ?? firstFieldError(fieldErrors) ?? fallback ?? defaultMessage(status));
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.fieldErrors = fieldErrors;
    this.body = body;
  }

  /** Session could not be restored: the person must log in again. */
  get isSessionExpired(): boolean {
    return this.status === 401;
  }
}

export const NETWORK_ERROR_STATUS = 0;

function parseErrorBody(body: unknown): { detail: string | null; fieldErrors: FieldErrors } {
  const fieldErrors: FieldErrors = {};
  let detail: string | null = null;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (key === 'detail' && typeof value === 'string') {
        detail = value;
      } else if (key === 'non_field_errors') {
        detail = flatten(value).join(' ') || detail;
      } else {
        const messages = flatten(value);
        if (messages.length) fieldErrors[key] = messages;
      }
    }
  } else if (Array.isArray(body)) {
    detail = flatten(body).join(' ') || null;
  }
  return { detail, fieldErrors };
}

/** `errors` without `field`'s: the person is fixing it. */
export function withoutField(errors: FieldErrors, field: string): FieldErrors {
  if (!(field in errors)) return errors;
  return Object.fromEntries(Object.entries(errors).filter(([name]) => name !== field));
}

/** A 400 whose body names what was wrong: show `fieldErrors` next to the fields. */
export function isValidationError(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 400;
}

/** Nested serializers (e.g. `admin: {password: [...]}`) flatten to `admin.password`. */
function flatten(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(flatten);
  return [];
}

export function nestedFieldErrors(body: unknown, prefix = ''): FieldErrors {
  const out: FieldErrors = {};
  if (!body || typeof body !== 'object' || Array.isArray(body)) return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(out, nestedFieldErrors(value, name));
    } else {
      const messages = flatten(value);
      if (messages.length) out[name] = messages;
    }
  }
  return out;
}

function firstFieldError(fieldErrors: FieldErrors): string | null {
  const first = Object.entries(fieldErrors)[0];
  if (!first) return null;
  const [field, messages] = first;
  return `${humanize(field)}: ${messages[0] ?? 'invalid value'}`;
}

function humanize(field: string): string {
  const text = field.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function defaultMessage(status: number): string {
  if (status === NETWORK_ERROR_STATUS) return 'Could not reach the server. Check your connection and try again.';
  if (status === 401) return 'Your session expired, please log in again.';
  if (status === 403) return 'You do not have permission to do this.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests, try again later.';
  if (status === 503) return 'The service is temporarily unavailable, try again shortly.';
  if (status >= 500) return 'The server ran into a problem. Try again in a moment.';
  return 'The request could not be completed.';
}

/** A readable sentence for anything thrown by a query or mutation. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}
