// The only way the UI talks to the server: the public JSON API, with the session's bearer token.
import { session, signOut } from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code || 'http_error';
    this.fields = error.details?.fields ?? null;
  }
}

// 401s that mean "your session is over", as opposed to "wrong password".
const SESSION_OVER = new Set(['unauthorized', 'invalid_token', 'session_ended', 'token_expired']);

async function failure(response, hadToken) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: keep the status */ }
  const error = new ApiError(response.status, body);
  if (response.status === 401 && hadToken && SESSION_OVER.has(error.code)) signOut();
  return error;
}

function authHeaders(extra = {}) {
  const headers = { ...extra };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  return headers;
}

// api('/api/beats/x'), api('/api/playlists', {method: 'POST', body: {...}}); answers parsed JSON,
// throws ApiError with the envelope's code, message and field errors.
export async function api(path, { method = 'GET', body, headers = {}, as = 'json', signal } = {}) {
  const init = { method, headers: authHeaders(headers), signal };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response, Boolean(session.token));
  if (as === 'text') return response.text();
  if (as === 'blob') return { blob: await response.blob(), name: filename(response) };
  return response.json();
}

function filename(response) {
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  return match ? decodeURIComponent(match[1]) : 'download';
}

// Multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can).
export function upload(path, form, { method = 'POST', onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    if (session.token) xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
      else reject(new ApiError(xhr.status, xhr.response));
    };
    xhr.onerror = () => reject(new ApiError(0, { error: { message: 'The upload could not reach the server.' } }));
    xhr.send(form);
  });
}

// Saves an authenticated download (a link cannot carry the bearer token).
export async function download(path) {
  const { blob, name } = await api(path, { as: 'blob' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
  return { name, size: blob.size };
}

export const q = (params) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, v);
  const text = s.toString();
  return text ? `?${text}` : '';
};

export const id = encodeURIComponent;
