// The board's HTTP API (JSON everywhere; errors are 4xx with {"detail": "<field>: <reason>"}).
// The base URL comes from <meta name="plebiscite-api">, so the booth can be served under another prefix.

const TIMEOUT_MS = 30000;

/** kind: 'network' (no answer), 'rejected' (4xx with a detail), 'not_found' (404), 'server' (5xx), 'bad_answer'. */
export class ApiError extends Error {
  constructor(kind, status = 0, detail = '') {
    super(detail || `${kind} ${status}`);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.detail = detail;
  }
}

export function apiUrl(path = "") {
  return new URL(path, base());
}

function base() {
  const meta = document.querySelector('meta[name="plebiscite-api"]');
  return new URL(meta?.content || '/api/', location.href);
}

async function request(path, init = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    // credentials: 'omit' — the booth needs no cookie and sends none
    response = await fetch(new URL(path, base()), { ...init, signal: controller.signal, credentials: 'omit',
      cache: 'no-store' });
  } catch {
    throw new ApiError('network');
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok) {
    if (body === null) throw new ApiError('bad_answer', response.status);
    return body;
  }
  const detail = typeof body?.detail === 'string' ? body.detail : '';
  if (response.status === 404) throw new ApiError('not_found', 404, detail);
  if (response.status >= 400 && response.status < 500) throw new ApiError('rejected', response.status, detail);
  throw new ApiError('server', response.status, detail);
}

export const getJson = (path) => request(path);

export const postJson = (path, value) =>
  request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });
