import type { Db } from 'mongodb';
import { ManualClock, type Clock } from '../engine/clock.js';
import { saveManualClock } from '../runtime/clock-store.js';
import type { RuntimeApi } from '../runtime/api.js';

/**
 * Moving the manual clock (CLOCK=manual), for the API (`POST /api/admin/clock`) and the admin page alike: one move at
 * a time, the new time stored so a restart keeps it, then every timer now due fired.
 */
export class ClockControl {
  private moving: Promise<unknown> = Promise.resolve();

  constructor(
    readonly clock: ManualClock,
    private readonly db: Db,
    private readonly runtime: Pick<RuntimeApi, 'fireDueTimers'>,
  ) {}

  /** Advances by an ISO 8601 duration (checked by the caller) or sets an instant; resolves once due timers fired. */
  move(change: { advance: string } | { set: Date }): Promise<{ now: Date; fired: number }> {
    const work = this.moving.then(async () => {
      if ('set' in change) this.clock.set(change.set);
      else this.clock.advance(change.advance);
      await saveManualClock(this.db, this.clock);
      const fired = await this.runtime.fireDueTimers();
      return { now: this.clock.now(), fired };
    });
    this.moving = work.catch(() => undefined);
    return work;
  }
}

const controls = new WeakMap<ManualClock, ClockControl>();

/** The one control of a manual clock (shared by every router of the app), or null for the system clock. */
export function clockControlOf(clock: Clock, db: Db, runtime: Pick<RuntimeApi, 'fireDueTimers'>): ClockControl | null {
  if (!(clock instanceof ManualClock)) return null;
  let control = controls.get(clock);
  if (!control) {
    control = new ClockControl(clock, db, runtime);
    controls.set(clock, control);
  }
  return control;
}
