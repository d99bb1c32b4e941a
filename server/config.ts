import path from 'node:path';

/** Settings read once from the environment; every variable is documented in README.md. */
export interface Config {
  port: number;
  /** HOST: the address to listen on; loopback unless told otherwise (put a reverse proxy in front, docs/SECURITY.md). */
  host: string;
  dataDir: string;
  /** When set, the server uses this MongoDB instead of starting the embedded FerretDB. */
  mongodbUri: string | null;
  /**
   * STORAGE_STRATEGY: `embedded` (this server is the database's only one, and keeps inboxes, lists and timers in
   * memory) or `shared` (several servers on one database; every read is an indexed query). Default: `shared` when
   * MONGODB_URI is set, else `embedded`.
   */
  strategy: 'embedded' | 'shared';
  /** `manual`: the clock moves only through `POST /api/admin/clock`. */
  manualClock: boolean;
  production: boolean;
  /** Extra statutory-holiday years (server/notices/holidays.ts), for years published after this release. */
  holidaysFile: string | null;
  /** How many instances' engines stay live between steps (server/engine/live-engines.ts); 0: none. */
  liveEngines: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  }
  const liveEngines = Number(env.LIVE_ENGINES ?? 64);
  if (!Number.isInteger(liveEngines) || liveEngines < 0 || liveEngines > 10_000) {
    throw new Error(`LIVE_ENGINES must be a whole number from 0 to 10000, got "${env.LIVE_ENGINES}"`);
  }
  const mongodbUri = env.MONGODB_URI?.trim() || null;
  const strategy = env.STORAGE_STRATEGY?.trim() || (mongodbUri ? 'shared' : 'embedded');
  if (strategy !== 'embedded' && strategy !== 'shared') {
    throw new Error(`STORAGE_STRATEGY must be "embedded" or "shared", got "${env.STORAGE_STRATEGY}"`);
  }
  return {
    port,
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir: path.resolve(env.DATA_DIR ?? 'data'),
    mongodbUri,
    strategy,
    manualClock: env.CLOCK === 'manual',
    production: env.NODE_ENV === 'production',
    holidaysFile: env.HOLIDAYS_FILE?.trim() ? path.resolve(env.HOLIDAYS_FILE.trim()) : null,
    liveEngines,
  };
}
