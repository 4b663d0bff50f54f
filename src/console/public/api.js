// The console's API, as the page calls it: the session token (from the link `pipeline console`
// printed, kept in sessionStorage) goes in a header on every call; errors come back as ApiError.
const KEY = 'pipeline-console-token';
export const TOKEN_HEADER = 'x-console-token';

/** Moves the token from the URL fragment to sessionStorage, so it is not left in the address bar or history. */
export function takeTokenFromUrl() {
  const m = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(KEY, m[1]);
  history.replaceState(null, '', `${location.pathname}#/connectors`);
}

export function hasToken() {
  return Boolean(sessionStorage.getItem(KEY));
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.error || 'error';
    this.fieldErrors = body.fieldErrors || {};
    // A request refused by the API's own schema names fields by path: config.shopDomain -> shopDomain.
    for (const issue of body.issues || []) {
      const key = issue.path.replace(/^config\./, '');
      (this.fieldErrors[key] ||= []).push(issue.message);
    }
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { [TOKEN_HEADER]: sessionStorage.getItem(KEY) || '' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
