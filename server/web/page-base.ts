import type { Request } from 'express';
import { isAdmin } from '../auth/middleware.js';
import { csrfToken } from '../http/csrf.js';
import type { RuntimeApi } from '../runtime/api.js';
import type { PageData } from './views.js';

/**
 * The page data every page shares, in the task pages and the admin pages alike: the user, the navigation counts,
 * the CSRF token and a pending flash (taken from the session, so it shows once). `active` marks the navigation entry.
 */
export async function pageBase(runtime: Pick<RuntimeApi, 'countTasks' | 'messages'>, req: Request, title: string, active: string): Promise<PageData> {
  const actor = req.actor ?? null;
  let counts = { mine: 0, candidate: 0, signer: 0, total: 0, unread: 0 };
  if (actor) {
    const [c, m] = await Promise.all([runtime.countTasks(actor), runtime.messages(actor)]);
    counts = { ...c, total: c.mine + c.candidate + c.signer, unread: m.unread };
  }
  const flash = req.session?.flash;
  if (flash) delete req.session.flash;
  return {
    title,
    active: { [active]: true },
    user: actor ? { id: actor.id, name: actor.displayName || actor.id, hasUnit: !!actor.unitId } : null,
    isAdmin: isAdmin(actor),
    counts,
    // Only a signed-in user's pages carry forms that need the session's token: an anonymous view stores no session.
    csrf: actor && req.session ? csrfToken(req) : '',
    flash,
  };
}
