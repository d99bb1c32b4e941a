import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { normalizeUsername } from '../auth/users.js';
import { HttpError } from './errors.js';
import type { HttpSettings } from './settings.js';

/**
 * The one limit on failed logins, for both doors (`POST /api/auth/login` and the web form `POST /login`): failed
 * attempts are counted per user name (`loginRateLimit.limit` in the window) and per client address (five times as
 * many, so that made-up user names from one address are stopped too). A success counts nothing.
 */
export function loginLimit(settings: Pick<HttpSettings, 'loginRateLimit'>): RequestHandler[] {
  const { windowMs, limit } = settings.loginRateLimit;
  const minutes = Math.ceil(windowMs / 60_000);
  const common = {
    windowMs,
    standardHeaders: 'draft-7' as const,
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    handler: ((_req, _res, next) => {
      next(new HttpError(429, 'rate_limited', `登录失败次数过多，请 ${minutes} 分钟后再试`));
    }) as RequestHandler,
  };
  const byAddress = rateLimit({ ...common, limit: limit * 5, keyGenerator: (req) => `a|${ipKeyGenerator(req.ip ?? 'unknown')}` });
  const byUser = rateLimit({
    ...common,
    limit,
    keyGenerator: (req) => {
      const body = req.body as { username?: unknown } | undefined;
      return `u|${normalizeUsername(body && typeof body === 'object' && typeof body.username === 'string' ? body.username : '')}`;
    },
  });
  return [byAddress, byUser];
}
