// The JSON endpoints the modeler page talks to (see modeler/API.md for the shapes).

/** CSRF token from `<meta name="csrf-token">` (or the page root's data-csrf-token). */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.getAttribute('content')) return meta.getAttribute('content');
  const root = document.querySelector('[data-csrf-token]');
  return root ? root.getAttribute('data-csrf-token') || '' : '';
}

/** An HTTP error with the server's `{ error: { code, message, problems } }` body, when it sent one. */
export class ApiError extends Error {
  constructor(status, body, fallback) {
    const err = body && body.error;
    super((err && err.message) || fallback || `请求失败（HTTP ${status}）`);
    this.status = status;
    this.code = err && err.code;
    this.problems = (err && Array.isArray(err.problems)) ? err.problems : [];
    this.conversion = (err && err.conversion) || null;
  }
}

async function readBody(res) {
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      return await res.json();
    } catch {
      return null;
    }
  }
  return res.text();
}

async function request(method, url, { body, contentType, accept } = {}) {
  const headers = { Accept: accept || 'application/json' };
  if (body !== undefined) headers['Content-Type'] = contentType || 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  let res;
  try {
    res = await fetch(url, { method, headers, body, credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, null, `无法连接服务器：${err.message}`);
  }
  const data = await readBody(res);
  if (!res.ok) {
    throw new ApiError(res.status, typeof data === 'object' ? data : null,
      res.status === 404 ? '未找到' : res.status === 403 ? '没有权限或页面已过期，请刷新后重试' : undefined);
  }
  return { status: res.status, data };
}

const enc = encodeURIComponent;

export const api = {
  /** @returns {Promise<Array<{ key: string, name: string, latestVersion: number }>>} */
  async listProcesses() {
    return (await request('GET', '/api/processes')).data;
  },

  /** @returns {Promise<{ key: string, name: string, versions: Array<{ version: number, deployedAt: string, hash: string }> }>} */
  async getProcess(key) {
    return (await request('GET', `/api/processes/${enc(key)}`)).data;
  },

  /** @returns {Promise<string>} BPMN XML */
  async getVersionXml(key, version) {
    return (await request('GET', `/api/processes/${enc(key)}/versions/${enc(version)}/xml`,
      { accept: 'application/xml, text/xml, */*' })).data;
  },

  /** @returns {Promise<Array<{ id: string, name: string }>>} */
  async listGroups() {
    return (await request('GET', '/api/groups')).data;
  },

  /**
   * A file made elsewhere, as its bytes: the server reads its encoding, converts it and checks it, without deploying.
   * @param {ArrayBuffer} bytes
   * @returns {Promise<{ xml: string, encoding: string, conversion: { converted: object[], dropped: object[] }, errors: object[], warnings: object[] }>}
   * @throws {ApiError} with `problems` when the file cannot be read at all
   */
  async importBpmn(bytes) {
    return (await request('POST', '/api/bpmn/import', { body: bytes, contentType: 'application/xml' })).data;
  },

  /**
   * @returns {Promise<{ key: string, version: number, created: boolean, warnings: object[] }>}
   * @throws {ApiError} with `problems` (errors and warnings, each with its severity) on 400
   */
  async deploy(xml) {
    return (await request('POST', '/api/processes', { body: xml, contentType: 'application/xml' })).data;
  },

  /** @returns {Promise<{ key: string, updatedAt: string, bytes: number }>} */
  async saveDraft(key, xml) {
    return (await request('PUT', `/api/drafts/${enc(key)}`, { body: xml, contentType: 'application/xml' })).data;
  },

  /** @returns {Promise<string|null>} the draft's XML, or null when there is none */
  async getDraft(key) {
    try {
      const { data } = await request('GET', `/api/drafts/${enc(key)}`, { accept: 'application/json, application/xml;q=0.9' });
      // `{ key, xml, updatedAt }` (JSON) or the XML itself
      if (data && typeof data === 'object') return typeof data.xml === 'string' ? data.xml : null;
      return data;
    } catch (err) {
      if (err.status === 404) return null;
      throw err;
    }
  }
};
