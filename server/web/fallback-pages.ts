import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AppDeps } from '../http/settings.js';
import { logError } from '../http/errors.js';
import { pageBase } from './page-base.js';
import { describePageError } from './page-errors.js';
import { formatDateTime, Views, type PageData } from './views.js';

/**
 * The pages of last resort, after every router: a Chinese 404 page and error page in the staff layout (header,
 * navigation, a way home), stamped with the runtime clock's time in Beijing, so that a manual clock reads the same
 * everywhere.
 */
export function createFallbackPages(deps: Pick<AppDeps, 'runtime' | 'clock'>): { notFound: RequestHandler; errors: ErrorRequestHandler } {
  const views = new Views();

  async function render(req: Request, res: Response, status: number, title: string, message: string) {
    let base: PageData;
    try {
      base = await pageBase(deps.runtime, req, title, '');
    } catch {
      // The page that says something failed must not fail on the navigation counts.
      base = { title, active: {}, user: req.actor ? { id: req.actor.id, name: req.actor.displayName || req.actor.id } : null, counts: { total: 0 }, csrf: '' };
    }
    const html = views.render('error', { ...base, status, heading: title, message, at: formatDateTime(deps.clock.now()) });
    res.status(status).type('html').set('Cache-Control', 'no-store').send(html);
  }

  const notFound: RequestHandler = (req, res, next) => {
    render(req, res, 404, '页面不存在', '您要找的页面不存在，可能地址有误或已被移除。').catch(next);
  };

  const errors: ErrorRequestHandler = (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const { status, title, message } = describePageError(err);
    if (status >= 500) logError(err, `${req.method} ${req.originalUrl}`);
    render(req, res, status, title, message).catch(() => res.status(status).type('text/plain; charset=utf-8').send(message));
  };

  return { notFound, errors };
}
