import type { Actor } from '../server/runtime/api.js';

declare global {
  namespace Express {
    interface Request {
      /** Who is asking, set by `authenticate` (server/auth/middleware.ts); null when nobody is signed in. */
      actor: Actor | null;
      /** How `actor` was established. Bearer-authenticated requests are exempt from CSRF checks. */
      authMethod: 'bearer' | 'session' | null;
      /** Why a presented credential was refused (for the 401 message). */
      authProblem: 'invalid_token' | null;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    /** The signed-in user's id. */
    userId?: string;
    /** Per-session CSRF token (server/http/csrf.ts). */
    csrfToken?: string;
    /** The digest of the bearer token issued with this session's login, revoked at its logout. */
    tokenDigest?: string;
  }
}

export {};
