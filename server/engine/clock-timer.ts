import { checkCycleBounds } from 'bpmnlint-plugin-platform/lib/iso8601.js';
import * as Elements from 'bpmn-elements';
import { ISOInterval } from '@0dep/piso';
import { systemClock, type Clock } from './clock.js';

/**
 * bpmn-elements computes timer expiry from the wall clock. This subclass computes it from the runtime clock, so
 * that a resumed instance fires exactly the timers that are due by that clock, and never sets a JavaScript timer:
 * durable timers are fired by the runtime's poller resuming the instance (see server/runtime/commands/timers.ts).
 */
type TimerResult = { expireAt?: Date; timeout?: number; timerType?: string; repeat?: number; delay?: number };

// bpmn-elements' TimerEventDefinition is a plain constructor function; its prototype methods are reused here.
const Base = (Elements as unknown as Record<string, any>).TimerEventDefinition;

let engineClock: Clock = systemClock;

/**
 * The clock timers read. One per server process: the element types are bound into the serialized source of every
 * deployed version when it is compiled, so the clock cannot be handed to them per engine.
 */
export function setEngineClock(clock: Clock): void {
  engineClock = clock;
}

export function getEngineClock(): Clock {
  return engineClock;
}

export const ClockTimerEventDefinition = createClockTimerDefinition();

function createClockTimerDefinition() {
  const clock = { now: () => engineClock.now() };
  function ClockTimerEventDefinition(this: any, activity: unknown, eventDefinition: unknown) {
    Base.call(this, activity, eventDefinition);
  }
  ClockTimerEventDefinition.prototype = Object.create(Base.prototype);
  ClockTimerEventDefinition.prototype.constructor = ClockTimerEventDefinition;

  ClockTimerEventDefinition.prototype.parse = function parse(timerType: string, value: string): TimerResult {
    if (timerType === 'timeDate') {
      const result: TimerResult = Base.prototype.parse.call(this, timerType, value);
      if (result.expireAt && !(result.expireAt instanceof Date)) result.expireAt = new Date(result.expireAt as unknown as string);
      return result;
    }
    // Durations and cycles are measured from one reading of the runtime clock. Measuring them from the wall clock
    // and shifting the result by (runtime - wall) read the wall clock twice, so the expiry could move by the
    // millisecond that passed in between; and months and years would follow the wall clock's calendar.
    // A cycle computed by an expression is held to the bounds the deploy check holds literals to.
    const bounds = timerType === 'timeCycle' ? checkCycleBounds(String(value)) : null;
    if (bounds) throw new Error(bounds);
    const now = clock.now();
    const interval = new ISOInterval(value).parse();
    const expireAt: Date = interval.getExpireAt(now, now);
    return { expireAt, repeat: interval.repeat || undefined, delay: expireAt.getTime() - now.getTime() };
  };

  ClockTimerEventDefinition.prototype._getTimers = function getTimers(executeMessage: unknown): TimerResult {
    const result: TimerResult = Base.prototype._getTimers.call(this, executeMessage);
    if (result.expireAt) result.timeout = new Date(result.expireAt).getTime() - clock.now().getTime();
    return result;
  };

  return ClockTimerEventDefinition;
}

/** Timers that never schedule anything in this process: the runtime's poller is the only thing that fires timers. */
export function createInertTimers() {
  const TimersCtor = (Elements as unknown as Record<string, any>).Timers;
  return new TimersCtor({ setTimeout: () => null, clearTimeout: () => undefined });
}
