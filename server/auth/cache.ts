import type { Db } from 'mongodb';
import type { Actor } from '../runtime/api.js';

/**
 * A short-lived memo of who a bearer token or a session's user id stands for, so that `authenticate` does not read
 * `tokens` and `users` from the database on every API request (two round trips, ≈ 1 ms of FerretDB CPU, per request).
 *
 * What is remembered: only successful look-ups (an enabled user and, for a token, its expiry), for at most
 * `AUTH_CACHE_TTL_MS` after the database was read. Unknown, expired or disabled credentials are never remembered, so
 * a token issued by another server works at once. A remembered token's expiry is still checked on every use.
 *
 * When a change takes effect:
 * - On this server process, immediately. Everything that changes what authentication depends on goes through
 *   server/auth (`revokeToken` at logout, `revokeUserTokens`, `setPassword`, `setUserDisabled`,
 *   `ensureProductionAdmin`), and each of them calls `invalidateAuthCache()` after its write is acknowledged. The
 *   invalidation drops every entry, and a look-up that was already reading the database when it happened does not
 *   store its answer (it may have read the state before the write), so no request that starts after the write
 *   returns can be served from older state.
 * - Changes made elsewhere — a logout or a disabled account on another server process sharing the database, or an
 *   edit of `users`/`tokens` by hand — are seen here within `AUTH_CACHE_TTL_MS` (5 s). That is the one thing this
 *   cache weakens, deliberately bounded; a deployment that cannot accept it sets `AUTH_CACHE_TTL_MS=0` (no cache).
 *
 * Lifetimes use the monotonic clock (`performance.now()`), so a wall clock that jumps cannot extend them. Entries are
 * per database (`Db` object) and the cache is bounded (oldest entries go first).
 */

export const AUTH_CACHE_TTL_MS = readTtl(process.env.AUTH_CACHE_TTL_MS);
const MAX_ENTRIES = 10_000;

function readTtl(text: string | undefined): number {
  const value = text?.trim();
  if (!value) return 5_000;
  const n = Number(value);
  // Never longer than a minute: the bound above is part of the security argument.
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 60_000) : 5_000;
}

interface Entry {
  actor: Actor;
  /** For tokens: the token's expiry (wall clock, ms), checked on every use as the database look-up would. */
  expiresAt: number;
  /** Monotonic time after which the database is read again. */
  until: number;
  epoch: number;
}

/** Bumped by every invalidation: entries and look-ups of an older epoch are discarded. */
let epoch = 0;
const caches = new WeakMap<Db, Map<string, Entry>>();

/** Forget everything remembered (all databases); look-ups under way do not store their answers. */
export function invalidateAuthCache(): void {
  epoch++;
}

function cacheOf(db: Db): Map<string, Entry> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  return cache;
}

/** A copy of the remembered actor (so no request can change another's), or null when not (or no longer) known. */
function recall(db: Db, key: string): Actor | null {
  const cache = caches.get(db);
  const entry = cache?.get(key);
  if (!entry) return null;
  if (entry.epoch !== epoch || entry.until <= performance.now() || entry.expiresAt <= Date.now()) {
    cache!.delete(key);
    return null;
  }
  return { ...entry.actor, groups: [...entry.actor.groups] };
}

function remember(db: Db, key: string, actor: Actor, expiresAt: number, startedEpoch: number, ttlMs: number): void {
  if (ttlMs <= 0 || startedEpoch !== epoch) return;
  const cache = cacheOf(db);
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.delete(key);
  cache.set(key, { actor: { ...actor, groups: [...actor.groups] }, expiresAt, until: performance.now() + ttlMs, epoch });
}

/**
 * The actor behind `key` (a token digest or a user id, with a prefix), from the cache or from `read`, which answers
 * the actor and its expiry (wall clock, ms; `Infinity` for none) or null when the credential is not valid.
 */
export async function cachedActor(
  db: Db,
  key: string,
  read: () => Promise<{ actor: Actor; expiresAt: number } | null>,
  ttlMs: number = AUTH_CACHE_TTL_MS,
): Promise<Actor | null> {
  if (ttlMs > 0) {
    const known = recall(db, key);
    if (known) return known;
  }
  const startedEpoch = epoch;
  const found = await read();
  if (!found) return null;
  remember(db, key, found.actor, found.expiresAt, startedEpoch, ttlMs);
  return found.actor;
}
