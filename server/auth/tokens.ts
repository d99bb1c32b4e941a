import { createHash, randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { invalidateAuthCache } from './cache.js';

/**
 * Bearer tokens for API clients: 32 random bytes (base64url) handed out once at login. Only their SHA-256 is
 * stored, in the `tokens` collection, with an expiry. FerretDB has no TTL indexes, so expired tokens are deleted by
 * a periodic sweep (`startTokenSweeper`) and refused on use regardless. Expiry follows the wall clock, not the
 * runtime clock: moving a manual clock a year ahead must not log everybody out.
 */

export const TOKENS_COLLECTION = 'tokens';
export const DEFAULT_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface TokenDoc {
  /** sha256 (hex) of the token. */
  _id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
}

function tokens(db: Db) {
  return db.collection<TokenDoc>(TOKENS_COLLECTION);
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether `token` has the shape of an issued token (anything else is refused without a look-up). */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** The stored id of a token (its SHA-256, hex). */
export const tokenDigest = digest;

export async function issueToken(
  db: Db,
  userId: string,
  ttlMs: number = DEFAULT_TOKEN_TTL_MS,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const createdAt = new Date();
  const expiresAt = new Date(createdAt.getTime() + ttlMs);
  await tokens(db).insertOne({ _id: digest(token), userId, createdAt, expiresAt });
  return { token, expiresAt };
}

/** The live token record, or null for an unknown, malformed or expired token. */
export async function resolveToken(db: Db, token: string): Promise<TokenDoc | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const doc = await tokens(db).findOne({ _id: digest(token) });
  if (!doc || doc.expiresAt.getTime() <= Date.now()) return null;
  return doc;
}

export async function revokeToken(db: Db, token: string): Promise<void> {
  if (!TOKEN_PATTERN.test(token)) return;
  await tokens(db).deleteOne({ _id: digest(token) });
  // After the delete: no request starting from here is answered from the authentication cache's older state.
  invalidateAuthCache();
}

/** Revokes the token whose digest a session kept (its login's token), at that session's logout. */
export async function revokeTokenDigest(db: Db, tokenDigest: string | undefined): Promise<void> {
  if (!tokenDigest) return;
  await tokens(db).deleteOne({ _id: tokenDigest });
  invalidateAuthCache();
}

export async function revokeUserTokens(db: Db, userId: string): Promise<number> {
  const { deletedCount } = await tokens(db).deleteMany({ userId });
  invalidateAuthCache();
  return deletedCount;
}

export async function sweepExpiredTokens(db: Db, now: Date = new Date()): Promise<number> {
  return (await tokens(db).deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}

/**
 * Runs `sweep` (default: expired tokens) every `intervalMs` (default 10 minutes), never two at once; the timer does
 * not keep the process alive.
 */
export function startSweeper(
  sweep: () => Promise<unknown>,
  intervalMs = 10 * 60 * 1000,
  onError: (err: unknown) => void = logSweepError,
) {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = sweep()
      .then(() => undefined, onError)
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}

export function startTokenSweeper(db: Db, intervalMs?: number) {
  return startSweeper(() => sweepExpiredTokens(db), intervalMs);
}

function logSweepError(err: unknown): void {
  console.error('[auth] sweep of expired tokens/sessions failed:', err instanceof Error ? err.message : err);
}
