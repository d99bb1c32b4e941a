import type { RequestHandler } from 'express';
import type { Db } from 'mongodb';
import type { Actor } from '../runtime/api.js';
import { cachedActor } from './cache.js';
import { ADMIN_GROUP, groupName } from './groups.js';
import { isWellFormedToken, resolveToken, tokenDigest } from './tokens.js';
import { findUserById, toActor } from './users.js';

/** `Authorization: Bearer <token>`; any other Authorization header is ignored (the session cookie decides). */
export const BEARER_HEADER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Who is asking: `Authorization: Bearer <token>` first, else the session cookie. Sets `req.actor` (null when
 * nobody is signed in) and `req.authMethod`. A request that presents a bearer token is judged by that token only:
 * an invalid or expired token is not rescued by a session cookie.
 *
 * Successful look-ups are remembered for a few seconds (server/auth/cache.ts: what that means for logout and
 * disabled users, and why it is safe on this server).
 */
export function authenticate(db: Db): RequestHandler {
  return async (req, _res, next) => {
    req.actor = null;
    req.authMethod = null;
    req.authProblem = null;
    try {
      const header = req.get('authorization');
      const bearer = header ? BEARER_HEADER.exec(header) : null;
      if (bearer) {
        const actor = await bearerActor(db, bearer[1]!);
        if (actor) {
          req.actor = actor;
          req.authMethod = 'bearer';
        } else {
          req.authProblem = 'invalid_token';
        }
        return next();
      }
      const userId = req.session?.userId;
      if (userId) {
        const actor = await enabledUser(db, userId);
        if (actor) {
          req.actor = actor;
          req.authMethod = 'session';
        } else {
          delete req.session.userId;
        }
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The enabled user a live bearer token belongs to. */
function bearerActor(db: Db, token: string): Promise<Actor | null> {
  if (!isWellFormedToken(token)) return Promise.resolve(null);
  return cachedActor(db, `token:${tokenDigest(token)}`, async () => {
    const doc = await resolveToken(db, token);
    const user = doc ? await findUserById(db, doc.userId) : null;
    return doc && user && !user.disabled ? { actor: toActor(user), expiresAt: doc.expiresAt.getTime() } : null;
  });
}

/** The user a session names, if it exists and is enabled. */
function enabledUser(db: Db, userId: string): Promise<Actor | null> {
  return cachedActor(db, `user:${userId}`, async () => {
    const user = await findUserById(db, userId);
    return user && !user.disabled ? { actor: toActor(user), expiresAt: Infinity } : null;
  });
}

/**
 * A refused request (401/403). Carries `status`, `code` and `expose` like http-errors, so both the API's JSON error
 * handler and the web pages' handler can answer it without this layer depending on them.
 */
export class AuthError extends Error {
  readonly expose = true;
  constructor(
    readonly status: 401 | 403,
    readonly code: 'unauthorized' | 'forbidden' | 'csrf_failed',
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }

  get statusCode(): number {
    return this.status;
  }
}

const unauthorized = (message: string) => new AuthError(401, 'unauthorized', message);
const forbidden = (message: string) => new AuthError(403, 'forbidden', message);

export function isAdmin(actor: Actor | null | undefined): boolean {
  return !!actor && actor.groups.includes(ADMIN_GROUP);
}

export function hasGroup(actor: Actor | null | undefined, ...groups: string[]): boolean {
  return !!actor && groups.some((g) => actor.groups.includes(g));
}

/** What a user whose password an administrator set may still do: change it, see who they are, sign out, read notices. */
const OPEN_UNTIL_PASSWORD_CHANGED = [
  /^\/api\/auth\/(password|logout|me)$/,
  /^\/account\/password$/,
  /^\/logout$/,
  /^\/login$/,
  /^\/notices(\/|$)/,
  /^\/assets\//,
  /^\/favicon/,
];

/**
 * A password an administrator set is temporary: until the user changes it, the API answers 403
 * `password_change_required` and the pages send them to 修改密码.
 */
export const requirePasswordChanged: RequestHandler = (req, res, next) => {
  if (!req.actor?.mustChangePassword || OPEN_UNTIL_PASSWORD_CHANGED.some((p) => p.test(req.path))) return next();
  if (req.path.startsWith('/api/')) {
    return res.status(403).json({ error: { code: 'password_change_required', message: '管理员设置的临时密码须先修改：请调用 POST /api/auth/password' } });
  }
  if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, '/account/password?required=1');
  next(forbidden('请先修改管理员设置的临时密码'));
};

/** 401 unless someone is signed in. */
export const requireActor: RequestHandler = (req, _res, next) => {
  if (req.actor) return next();
  next(unauthorized(req.authProblem === 'invalid_token' ? '登录令牌无效或已过期，请重新登录' : '请先登录'));
};

/** 401 unless signed in, 403 unless the actor is in one of the groups. */
export function requireGroup(...groups: string[]): RequestHandler {
  const names = groups.map(groupName).join('或');
  return (req, res, next) => {
    if (!req.actor) return requireActor(req, res, next);
    if (hasGroup(req.actor, ...groups)) return next();
    next(forbidden(`此操作仅限${names}`));
  };
}
