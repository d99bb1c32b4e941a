import { MongoClient, type CommandStartedEvent, type CommandSucceededEvent, type CommandFailedEvent } from 'mongodb';
import { BSON } from 'mongodb';
import { ensureIndexes } from '../server/db/collections.js';
import { systemClock } from '../server/engine/clock.js';
import { setEngineClock } from '../server/engine/clock-timer.js';
import type { Actor } from '../server/runtime/api.js';
import { Runtime } from '../server/runtime/runtime.js';
import { serviceHandlers } from '../server/services/registry.js';
import { parseArgs, round, startDatabase, table } from './common.js';
import { startValues, valuesFor, WORKLOAD_KEY, workloadXml } from './workload.js';

/**
 * `node build/bench/profile.js [--quick]`: where one durable step spends its time. Runs workload instances through
 * the runtime with MongoDB command monitoring on and reports, per runtime command (start / complete): database round
 * trips by command and collection, their summed latency, the wall time, and the size of what is written.
 * Set `PROFILE_PREFILL=N` to put N waiting instances into the database first (bulk insert), to see what grows.
 */

const args = parseArgs();
const instances = args.quick ? 5 : 20;
const officer: Actor = { id: 'street-office', groups: ['street-office'], displayName: '街道办事处' };
const expert = (id: string): Actor => ({ id, groups: ['expert'], displayName: id });

interface Op {
  name: string;
  ms: number;
  bytes: number;
}

async function main() {
  setEngineClock(systemClock);
  const bench = await startDatabase();
  const client = new MongoClient(bench.uri, bench.embedded ? { directConnection: true, retryWrites: false, monitorCommands: true } : { monitorCommands: true });
  await client.connect();
  const started = new Map<number, { name: string; bytes: number }>();
  let ops: Op[] = [];
  const label = (e: CommandStartedEvent) => {
    const coll = e.command[e.commandName];
    let name = `${e.commandName} ${typeof coll === 'string' ? coll : ''}`.trim();
    if (e.commandName === 'find' || e.commandName === 'update' || e.commandName === 'delete') {
      const filter = e.commandName === 'find' ? e.command.filter : (e.command.updates ?? e.command.deletes)?.[0]?.q;
      const keys = Object.keys(filter ?? {});
      name += keys.length === 1 && keys[0] === '_id' && typeof filter._id === 'string' ? ' by _id' : ` SCAN{${keys.join(',')}}`;
    }
    return name;
  };
  client.on('commandStarted', (e: CommandStartedEvent) => started.set(e.requestId, { name: label(e), bytes: BSON.calculateObjectSize(e.command) }));
  const done = (e: CommandSucceededEvent | CommandFailedEvent) => {
    const s = started.get(e.requestId);
    if (!s) return;
    started.delete(e.requestId);
    ops.push({ name: s.name, ms: e.duration, bytes: s.bytes });
  };
  client.on('commandSucceeded', done);
  client.on('commandFailed', done);

  const db = client.db('bench_profile');
  await db.dropDatabase();
  await ensureIndexes(db);
  const runtime = await Runtime.create({ db, clock: systemClock, services: serviceHandlers });
  await runtime.deploy(workloadXml, null);

  const prefill = Number(process.env.PROFILE_PREFILL ?? 0);
  if (prefill) {
    const view = await runtime.startInstance(WORKLOAD_KEY, { businessKey: 'template', variables: startValues(0) }, officer);
    const inst = (await runtime.collections.instances.findOne({ _id: view.instance._id }))!;
    const task = (await runtime.collections.tasks.findOne({ _id: view.openTasks[0]!._id }))!;
    for (let done = 0; done < prefill; done += 1000) {
      const n = Math.min(1000, prefill - done);
      await runtime.collections.instances.insertMany(Array.from({ length: n }, (_, i) => ({ ...inst, _id: `pre-${done + i}` })));
      await runtime.collections.tasks.insertMany(Array.from({ length: n }, (_, i) => ({ ...task, _id: `pre-${done + i}:t`, instanceId: `pre-${done + i}` })));
    }
    console.log(`[profile] prefilled ${prefill} waiting instances`);
  }

  const perCommand: { kind: string; wall: number; db: number; ops: Op[] }[] = [];
  const measure = async <T>(kind: string, fn: () => Promise<T>): Promise<T> => {
    ops = [];
    const t0 = performance.now();
    const out = await fn();
    perCommand.push({ kind, wall: performance.now() - t0, db: ops.reduce((s, o) => s + o.ms, 0), ops });
    return out;
  };

  for (let n = 0; n < instances; n++) {
    let view = await measure('start', () => runtime.startInstance(WORKLOAD_KEY, { businessKey: `P-${n}`, variables: startValues(n) }, officer));
    while (view.openTasks.length) {
      const t = view.openTasks[0]!;
      const actor = t.assignee ? expert(t.assignee) : officer;
      view = (await measure('complete', () => runtime.complete(t._id, valuesFor(t.elementId, 90), actor))).instance;
    }
  }

  // skip the first instance (warm-up: compilation, connection pool)
  const steady = perCommand.slice(Math.ceil(perCommand.length / instances));
  for (const kind of ['start', 'complete']) {
    const rows = steady.filter((c) => c.kind === kind);
    if (!rows.length) continue;
    const byName = new Map<string, { count: number; ms: number; bytes: number }>();
    for (const c of rows) {
      for (const o of c.ops) {
        const e = byName.get(o.name) ?? { count: 0, ms: 0, bytes: 0 };
        e.count++;
        e.ms += o.ms;
        e.bytes += o.bytes;
        byName.set(o.name, e);
      }
    }
    const wall = rows.reduce((s, c) => s + c.wall, 0) / rows.length;
    const dbMs = rows.reduce((s, c) => s + c.db, 0) / rows.length;
    const trips = rows.reduce((s, c) => s + c.ops.length, 0) / rows.length;
    console.log(`\n${kind}: ${rows.length} commands; per command: wall ${round(wall)} ms, database ${round(dbMs)} ms in ${round(trips)} round trips, rest (engine, derive, driver) ${round(wall - dbMs)} ms`);
    console.log(
      table(
        ['operation', 'per command', 'ms each', 'bytes each'],
        [...byName.entries()]
          .sort((a, b) => b[1].ms - a[1].ms)
          .map(([name, e]) => [name, round(e.count / rows.length, 2), round(e.ms / e.count, 2), Math.round(e.bytes / e.count)]),
      ),
    );
  }
  const doc = await runtime.collections.instances.findOne({}, { sort: { _id: 1 } });
  console.log(`\ninstance document ${doc ? BSON.calculateObjectSize(doc) : 0} B`);
  await client.close();
  await bench.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
