import type express from 'express';
import { createApp } from '../../server/app.js';
import type { AppDeps } from '../../server/http/settings.js';
import { seedDemoOrganisation } from '../../server/org/demo.js';
import { readConfig } from '../../server/config.js';
import { ensureIndexes } from '../../server/db/collections.js';
import type { Database } from '../../server/db/connect.js';
import { ManualClock } from '../../server/engine/clock.js';
import { setEngineClock } from '../../server/engine/clock-timer.js';
import { Runtime } from '../../server/runtime/runtime.js';
import type { ServiceHandler } from '../../server/services/types.js';

export interface TestApp {
  app: express.Express;
  runtime: Runtime;
  clock: ManualClock;
  deps: AppDeps;
}

/**
 * The whole application on a test database, as the server assembles it: indexes, the demo users (password `demo`),
 * a manual clock (also the engine's), a runtime with the given services, and the express app.
 */
export async function testApp(
  database: Database,
  options: { services?: Record<string, ServiceHandler>; at?: Date; http?: AppDeps['http'] } = {},
): Promise<TestApp> {
  await ensureIndexes(database.db);
  await seedDemoOrganisation(database.db);
  const clock = new ManualClock(options.at ?? new Date('2026-03-01T00:00:00Z'));
  setEngineClock(clock);
  const runtime = await Runtime.create({ db: database.db, clock, services: options.services ?? {} });
  const deps: AppDeps = {
    runtime,
    db: database.db,
    config: { ...readConfig({}), manualClock: true },
    clock,
    knownTopics: Object.keys(options.services ?? {}),
    ...(options.http ? { http: options.http } : {}),
  };
  return { app: createApp(deps), runtime, clock, deps };
}
