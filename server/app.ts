import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import MongoStore from 'connect-mongo';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import type { Db, MongoClient } from 'mongodb';
import { createAdminRouter } from './admin/router.js';
import { authenticate, BEARER_HEADER, requirePasswordChanged } from './auth/middleware.js';
import { createApiRouter } from './http/api-router.js';
import { loginLimit } from './http/login-limit.js';
import { readHttpSettings, type AppDeps, type HttpSettings } from './http/settings.js';
import { apiErrorHandler } from './http/errors.js';
import { createFallbackPages } from './web/fallback-pages.js';
import { createWebRouter } from './web/router.js';
import { projectRoot } from './project-root.js';

/**
 * The whole HTTP application: security headers, static assets, sessions (MongoDB), who-is-asking, the JSON API
 * under /api, then the staff/public pages and the admin console.
 */
export function createApp(deps: AppDeps): express.Express {
  const settings: HttpSettings = { ...readHttpSettings(), ...deps.http };
  if (!settings.sessionSecret) {
    // Only tests and embedded runs get here (main.ts always passes a secret): sessions then end with the process.
    settings.sessionSecret = randomBytes(32).toString('base64url');
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  app.set('query parser', 'simple');

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          // bpmn-js sets inline style attributes on the diagram.
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          ...(settings.cookieSecure ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: settings.cookieSecure ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
      crossOriginEmbedderPolicy: false,
    }),
  );

  // Static assets first: they need no session.
  const root = projectRoot();
  const modelerDist = path.join(root, 'modeler', 'dist');
  const webPublic = path.join(root, 'server', 'web', 'public');
  if (existsSync(modelerDist)) {
    // The modeler's source maps (≈ 8 MB of our and the libraries' sources) are for development, not for a live site.
    if (deps.config.production) app.use('/assets/modeler', (req, res, next) => (req.path.endsWith('.map') ? res.status(404).end() : next()));
    app.use('/assets/modeler', express.static(modelerDist, { index: false, fallthrough: true }));
  }
  if (existsSync(webPublic)) {
    app.use('/assets', express.static(webPublic, { index: false, fallthrough: true }));
    // Browsers and feed readers ask for /favicon.ico whatever the page links: the same offline icon.
    app.get('/favicon.ico', (_req, res) => res.sendFile(path.join(webPublic, 'favicon.ico'), { maxAge: '1d' }));
  }

  const sessions = session({
    name: settings.cookieName,
    secret: settings.sessionSecret,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: settings.trustProxy !== false ? true : undefined,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: settings.cookieSecure,
      path: '/',
      maxAge: settings.sessionTtlMs,
    },
    store: MongoStore.create({
      // connect-mongo only calls client.db(dbName); hand it the application's Db (its close() must not close ours).
      client: { db: () => deps.db, close: async () => {} } as unknown as MongoClient,
      dbName: deps.db.databaseName,
      collectionName: SESSIONS_COLLECTION,
      ttl: Math.round(settings.sessionTtlMs / 1000),
      // FerretDB has no TTL indexes ('native'), and connect-mongo's 'interval' sweep deletes with an unacknowledged
      // write concern (w: 0) that FerretDB 1.24 answers anyway, desynchronising the pooled connection (the next
      // query on it reads the stray reply). Expired sessions are therefore swept by `sweepExpiredSessions`
      // (acknowledged), which main.ts runs every 10 minutes; the store never returns an expired session anyway.
      autoRemove: 'disabled',
      touchAfter: 5 * 60,
    }),
  });
  // An API request that presents a bearer token is judged by that token alone (`authenticate`), and no API route
  // reads or writes the session of such a request — except login, which starts one and so asks for it
  // (`withSession`). Those requests skip the session middleware: no per-request session object, id and signature,
  // and no read of the `sessions` collection when a cookie comes along.
  app.use((req, res, next) => (presentsBearerToApi(req) ? next() : sessions(req, res, next)));

  app.use(authenticate(deps.db));
  app.use(requirePasswordChanged);

  const withSession: RequestHandler = (req, res, next) => (req.session ? next() : sessions(req, res, next));
  // One count of failed logins for both doors (the API and the web form).
  const limitLogins = loginLimit(settings);
  app.use('/api', createApiRouter(deps, settings, withSession, limitLogins));
  app.use(createWebRouter(deps, settings, limitLogins));
  app.use(createAdminRouter(deps));

  const fallback = createFallbackPages(deps);
  app.use(fallback.notFound);
  app.use(finalErrors(fallback.errors));
  return app;
}

export const SESSIONS_COLLECTION = 'sessions';

/** A request under /api (matched case-insensitively, as express routes it) with an `Authorization: Bearer …` header. */
function presentsBearerToApi(req: Request): boolean {
  const header = req.headers.authorization;
  return !!header && BEARER_HEADER.test(header) && /^\/api(?:\/|$)/i.test(req.path);
}

/** Deletes sessions past their expiry (connect-mongo's `expires` field); returns how many. */
export async function sweepExpiredSessions(db: Db, now: Date = new Date()): Promise<number> {
  return (await db.collection(SESSIONS_COLLECTION).deleteMany({ expires: { $lt: now } })).deletedCount;
}

/** Anything the routers above did not answer: JSON under /api, the Chinese error page elsewhere; never a stack. */
function finalErrors(pages: ErrorRequestHandler): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (req.originalUrl.startsWith('/api/') || req.originalUrl === '/api') return apiErrorHandler(err, req, res, next);
    return pages(err, req, res, next);
  };
}
