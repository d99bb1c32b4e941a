import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AuthError } from '../auth/middleware.js';

/**
 * CSRF protection for cookie-authenticated requests (synchronizer token): each session holds one random token;
 * unsafe requests (anything but GET/HEAD/OPTIONS) must echo it in the `X-CSRF-Token` header or a `_csrf` form field.
 * Requests authenticated by a bearer token carry no ambient credential and are exempt.
 *
 * Pages put `csrfToken(req)` into their forms (`<input type="hidden" name="_csrf">`) or a `<meta>` read by scripts;
 * API clients using the cookie get it from `POST /api/auth/login` or `GET /api/auth/me`.
 */

export const CSRF_HEADER = 'X-CSRF-Token';
export const CSRF_FIELD = '_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session's CSRF token, created on first use (this marks the session modified so it is saved). */
export function csrfToken(req: Request): string {
  if (!req.session) throw new Error('csrfToken(req) needs the session middleware');
  req.session.csrfToken ??= randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

/** Replace the session's token (after login, so a token seen before login is useless after it). */
export function rotateCsrfToken(req: Request): string {
  if (!req.session) throw new Error('rotateCsrfToken(req) needs the session middleware');
  delete req.session.csrfToken;
  return csrfToken(req);
}

function submittedToken(req: Request): string | null {
  const header = req.get(CSRF_HEADER);
  if (header) return header;
  const body = req.body as Record<string, unknown> | undefined;
  const field = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
  return typeof field === 'string' ? field : null;
}

function matches(expected: string | undefined, given: string | null): boolean {
  if (!expected || !given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function check(req: Request, anonymousToo: boolean): AuthError | null {
  if (SAFE_METHODS.has(req.method)) return null;
  if (req.authMethod === 'bearer') return null;
  const expected = req.session?.csrfToken;
  // Nobody signed in and no token issued: no ambient authority to abuse (the route itself refuses with 401).
  if (!anonymousToo && !req.actor && !expected) return null;
  if (matches(expected, submittedToken(req))) return null;
  return new AuthError(403, 'csrf_failed', '页面已过期或请求来源无法验证，请刷新页面后重试');
}

/**
 * Checks unsafe requests of signed-in (cookie) users, and of anonymous sessions that were issued a token.
 * Mount after the session middleware, `authenticate` and the body parsers (for the `_csrf` field).
 */
export const verifyCsrf: RequestHandler = (req, _res, next) => {
  next(check(req, false) ?? undefined);
};

/** Like `verifyCsrf` but anonymous unsafe requests need a valid token too (e.g. a login form). */
export const requireCsrf: RequestHandler = (req, _res, next) => {
  next(check(req, true) ?? undefined);
};
