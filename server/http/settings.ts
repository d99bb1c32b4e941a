import type { Db } from 'mongodb';
import { DEFAULT_TOKEN_TTL_MS } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { Clock } from '../engine/clock.js';
import type { RuntimeApi } from '../runtime/api.js';

export const SESSION_COOKIE = 'cg.sid';

/** HTTP settings read from the environment (documented in docs/API.md); tests override them. */
export interface HttpSettings {
  /** Signs the session cookie. SESSION_SECRET; main.ts otherwise keeps a generated one in the database. */
  sessionSecret: string;
  /** COOKIE_SECURE=1: cookies only over HTTPS (behind a TLS-terminating proxy). */
  cookieSecure: boolean;
  /** TRUST_PROXY (hop count, or an express "trust proxy" value such as the proxy's address); default off. */
  trustProxy: boolean | number | string;
  cookieName: string;
  /** Session lifetime, idle or not. */
  sessionTtlMs: number;
  tokenTtlMs: number;
  /** Failed logins allowed per client address and user name within the window. */
  loginRateLimit: { windowMs: number; limit: number };
  /**
   * Staff lists (我的待办, 已办, 我发起的): rows per page, and rows read per runtime query (at most the runtime's
   * 200). Tests use small numbers to page through little data.
   */
  webPaging?: { pageSize: number; batchSize: number };
}

export interface AppDeps {
  runtime: RuntimeApi;
  db: Db;
  config: Config;
  clock: Clock;
  /** Service handler names (the runtime's services): deploy and import checks name unknown ones. */
  knownTopics?: readonly string[];
  /** Overrides of the settings read from the environment. */
  http?: Partial<HttpSettings>;
}

export function readHttpSettings(env: NodeJS.ProcessEnv = process.env): HttpSettings {
  const cookieSecure = env.COOKIE_SECURE === '1' || env.COOKIE_SECURE === 'true';
  // Trust no forwarding header unless the operator names the proxy: a client that reaches the server directly could
  // otherwise claim any address and escape the per-address login limit.
  let trustProxy: HttpSettings['trustProxy'] = false;
  const trust = env.TRUST_PROXY?.trim();
  if (trust) trustProxy = /^\d+$/.test(trust) ? Number(trust) : trust === 'true' ? true : trust === 'false' ? false : trust;
  return {
    sessionSecret: env.SESSION_SECRET?.trim() || '',
    cookieSecure,
    trustProxy,
    cookieName: SESSION_COOKIE,
    sessionTtlMs: 8 * 60 * 60 * 1000,
    tokenTtlMs: DEFAULT_TOKEN_TTL_MS,
    loginRateLimit: { windowMs: 15 * 60 * 1000, limit: 10 },
  };
}
