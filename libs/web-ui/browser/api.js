// JSON over the app's own API (same origin). Errors carry the API's envelope: { error: { code, message } }.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

async function answer(res) {
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok)
    throw new ApiError(
      res.status,
      body?.error?.code ?? `HTTP_${res.status}`,
      body?.error?.message ?? res.statusText,
    );
  return body;
}

/** GET a JSON resource. */
export function getJson(path) {
  return fetch(path, { headers: { accept: 'application/json' } }).then(answer);
}

/** An admin call with the API key the operator typed (kept for this tab only). */
export function sendJson(method, path, body, apiKey) {
  return fetch(path, {
    method,
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(answer);
}

const KEY = 'verilay.apiKey';
export const apiKey = {
  get: () => sessionStorage.getItem(KEY) ?? '',
  set: (value) => (value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY)),
};
