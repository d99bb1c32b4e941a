import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/** The login form's CSRF token travels in this cookie and in the form (double submit): no session before login. */
const COOKIE = 'cg.login';

/** A fresh token, set as a cookie only the login form's POST sends back; returns it for the form. */
export function issueLoginToken(res: Response, secure: boolean): string {
  const token = randomBytes(24).toString('base64url');
  res.cookie(COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/login', maxAge: 60 * 60 * 1000 });
  return token;
}

/** Whether the submitted token is the one in the cookie (a cross-site form cannot read or set it). */
export function loginTokenMatches(req: Request, submitted: string): boolean {
  const match = /(?:^|;\s*)cg\.login=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
  if (!match || !submitted) return false;
  const a = Buffer.from(match[1]!);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
