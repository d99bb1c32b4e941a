import type { Db } from 'mongodb';
import { ManualClock } from '../engine/clock.js';

/** Settings kept in the database: `{ _id: 'clock' }` (the manual clock), `{ _id: 'sessionSecret' }` (main.ts). */
export const SETTINGS_COLLECTION = 'settings';
interface ClockSetting {
  _id: 'clock';
  now: Date;
  updatedAt: Date;
}

/** Stores the manual clock's time in `settings` `{ _id: 'clock' }` so a restart keeps it. */
export async function saveManualClock(db: Db, clock: ManualClock): Promise<void> {
  await db
    .collection<ClockSetting>(SETTINGS_COLLECTION)
    .updateOne({ _id: 'clock' }, { $set: { now: clock.now(), updatedAt: new Date() } }, { upsert: true });
}

/** The manual clock as it was left (or starting at the current time on first use, which is then stored). */
export async function restoreManualClock(db: Db): Promise<ManualClock> {
  const saved = await db.collection<ClockSetting>(SETTINGS_COLLECTION).findOne({ _id: 'clock' });
  const clock = new ManualClock(saved?.now instanceof Date ? saved.now : new Date());
  if (!saved) await saveManualClock(db, clock);
  return clock;
}
