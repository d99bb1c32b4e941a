import type { AuditDoc, InstanceDoc, TaskDoc } from '../server/db/types.js';
import { WriteBatcher } from '../server/db/write-batcher.js';
import type { Actor } from '../server/runtime/api.js';
import type { Runtime } from '../server/runtime/runtime.js';
import { CpuMeter, pool, round } from './common.js';
import { startValues, valuesFor, WORKLOAD_KEY } from './workload.js';

/**
 * The database floor of a durable step: the four writes any step that completes a task and opens the next one
 * needs, whatever runtime sends them — the instance's new view, the task it closes, the task it opens, its audit
 * entry — and nothing else: no engine, no commit record, no derivation, no read. They go through the runtime's own
 * group commit (server/db/write-batcher.ts), `inFlight` instances at a time as in the durable round, with copies of
 * a running bench-workload instance's documents, so that sizes are the workload's, into the runtime's own
 * collections (FerretDB indexes a new table's `_id` lookups only after a moment: docs/DATABASE.md); they are
 * deleted afterwards.
 *
 * What it answers: how much of the persistence budget (issue 13: ≤ 0.5 × the bare engine's CPU per step) the
 * database alone spends before any of our code runs.
 */
export interface FloorResult {
  steps: number;
  stepsPerSec: number;
  cpuMsPerStep: { node: number | null; database: number | null };
}

const STEPS_PER_INSTANCE = 7;

export async function databaseFloor(
  runtime: Runtime,
  options: { instances: number; inFlight: number; databasePid: number | null; actor: Actor },
): Promise<FloorResult> {
  const c = runtime.collections;
  const sample = await runningSample(runtime, options.actor);
  const writers = { instances: new WriteBatcher(c.instances), tasks: new WriteBatcher(c.tasks), audit: new WriteBatcher(c.audit) };
  const { _id: _instanceId, ...viewFields } = (await c.instances.findOne({ _id: sample.instanceId }))!;

  const instance = async (n: number): Promise<number> => {
    const id = `floor-${n}`;
    await writers.instances.insert({ ...(viewFields as InstanceDoc), _id: id, rev: 1 });
    await writers.tasks.insert({ ...sample.task, _id: `${id}:t0`, instanceId: id });
    for (let step = 1; step <= STEPS_PER_INSTANCE; step++) {
      const at = new Date();
      await Promise.all([
        writers.instances.update(id, { $set: { ...viewFields, rev: step + 1, updatedAt: at } as Partial<InstanceDoc> }),
        writers.tasks.update(`${id}:t${step - 1}`, { $set: { status: 'completed', completedAt: at, completedBy: options.actor.id } }),
        writers.tasks.insert({ ...sample.task, _id: `${id}:t${step}`, instanceId: id, createdAt: at }),
        writers.audit.insert({ ...sample.audit, _id: `${id}:a${step}`, instanceId: id, at }),
      ]);
    }
    return STEPS_PER_INSTANCE;
  };

  await pool(options.inFlight, options.inFlight, (i) => instance(-1 - i)); // warm-up
  const cpu = new CpuMeter({ server: process.pid, database: options.databasePid });
  const started = performance.now();
  cpu.begin();
  const steps = (await pool(options.instances, options.inFlight, instance)).reduce((a, b) => a + b, 0);
  cpu.end();
  const seconds = (performance.now() - started) / 1000;
  const per = cpu.perCompletion(steps);
  const ours = { $regex: '^floor-' };
  await Promise.all([c.instances.deleteMany({ _id: ours }), c.tasks.deleteMany({ instanceId: ours }), c.audit.deleteMany({ instanceId: ours })]);
  return {
    steps,
    stepsPerSec: round(steps / seconds),
    cpuMsPerStep: { node: per.server === null ? null : round(per.server, 2), database: per.database === null ? null : round(per.database, 2) },
  };
}

/** A workload instance one step in, its open task and an audit entry, as the runtime stored them. */
async function runningSample(runtime: Runtime, actor: Actor): Promise<{ instanceId: string; task: TaskDoc; audit: AuditDoc }> {
  let view = await runtime.startInstance(WORKLOAD_KEY, { businessKey: 'floor-sample', variables: startValues(0) }, actor);
  view = (await runtime.complete(view.openTasks[0]!._id, valuesFor(view.openTasks[0]!.elementId, 90), actor)).instance;
  await runtime.flush();
  const c = runtime.collections;
  const task = (await c.tasks.findOne({ _id: view.openTasks[0]!._id }))!;
  const audit = (await c.audit.findOne({ instanceId: view.instance._id, type: 'task.completed' }))!;
  return { instanceId: view.instance._id, task, audit };
}
