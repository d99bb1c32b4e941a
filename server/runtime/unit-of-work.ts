import type { OutboxOp } from '../db/types.js';
import { RuntimeError } from './api.js';
import type { DerivedWriter } from './apply.js';
import type { Commit, CommitLog } from './commit-log.js';
import type { Instance, InstanceFields, InstanceStore } from './instance-store.js';
import { KeyedLock } from './keyed-lock.js';
import { engineStateToStore } from './packed.js';
import type { ReadModel } from './read-model/read-model.js';

const MAX_ATTEMPTS = 30;
/** A step whose writes failed after its commit is finished in the background: first try after this, then doubling. */
const FINISH_RETRY_MS = 250;
const FINISH_RETRY_MAX_MS = 30_000;
const FINISH_ATTEMPTS = 12;

/** What a step changes: the instance fields it sets and its derived writes. */
export interface StepChange {
  at: Date;
  fields: InstanceFields;
  outbox: OutboxOp[];
}

/** A committed and applied step: the instance before and after it, and its derived writes. */
export interface Committed {
  before: Instance | null;
  after: Instance;
  outbox: OutboxOp[];
}

export interface UnitOfWorkOptions {
  store: InstanceStore;
  log: CommitLog;
  derived: DerivedWriter;
  readModel: ReadModel;
  /**
   * Fault injection for tests. `afterCommit`: between a step's commit and its writes, as if the server died there.
   * `beforeView`: as if the view's write failed (the step is finished in the background).
   */
  faults?: { afterCommit?: () => void; beforeView?: () => void };
}

/**
 * One command, one unit of work (as Camunda's command context): load the instance, run the work (an engine step),
 * commit by inserting `commits/<id>:<rev>` — the one atomic write — then apply what the commit says: the derived
 * records and the instance view, idempotently. A step that loses its revision to another starts again from a fresh
 * read. Whatever is cut after the commit is finished from it: by the instance's next load, in the background, or by
 * start-up recovery ({@link recover}).
 *
 * On this server an instance's steps run one at a time. With the embedded strategy this server is the database's
 * only one, so that is every writer; the derived records and the view then go out together. With the shared strategy
 * the view is written last, so that a view at revision N says commit N is applied, and every load looks for a newer
 * commit by key (another server's step cut short) and finishes it.
 */
export class UnitOfWork {
  private readonly locks = new KeyedLock();
  /**
   * Instances whose newest commit may not be applied: the commit whose writes failed, or `true` when the commit's own
   * write failed (it may have landed). Their next load finishes it.
   */
  private readonly unfinished = new Map<string, Commit | true>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private readonly shared: boolean;

  constructor(private readonly options: UnitOfWorkOptions) {
    this.shared = options.readModel.strategy === 'shared';
  }

  /** Runs `work` on the instance and commits what it returns (null: nothing to commit). */
  run(instanceId: string, work: (instance: Instance) => Promise<StepChange | null>): Promise<Committed | null> {
    return this.locks.run(instanceId, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const before = await this.load(instanceId, { probe: attempt > 0 });
        const change = await work(before);
        if (!change) return null;
        const committed = await this.commit(instanceId, before.rev + 1, before, change);
        if (committed) return committed;
        this.options.store.forget(instanceId);
        // Another server took the revision: read again (a little later each time, so that two do not keep colliding).
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      }
      throw new RuntimeError('conflict', '流程实例正被频繁更新，请稍后重试');
    });
  }

  /** Commits the first revision of a new instance (`change.fields` is all of it). */
  async start(instanceId: string, change: StepChange): Promise<Committed> {
    const committed = await this.locks.run(instanceId, () => this.commit(instanceId, 1, null, change));
    if (!committed) throw new Error(`instance id ${instanceId} is already taken`);
    return committed;
  }

  /**
   * The instance as of its newest commit. `probe`: also look for commits newer than the view (always with the
   * shared strategy) and finish them.
   */
  async load(instanceId: string, options: { probe?: boolean } = {}): Promise<Instance> {
    const { store, log } = this.options;
    let instance = await store.read(instanceId);
    if (!instance) {
      // A start cut between its commit and its view.
      const first = this.shared || options.probe || this.unfinished.has(instanceId) ? (await log.read(instanceId, 1)).commit : null;
      if (!first) throw new RuntimeError('not_found', `流程实例不存在：${instanceId}`);
      instance = await this.finish(first, null, true);
    }
    const pending = this.unfinished.get(instanceId);
    // With the embedded strategy the view may have landed without the derived writes: apply the commit again.
    if (pending && pending !== true) instance = await this.finish(pending, instance, true);
    if (!this.shared && !options.probe && !pending) return instance;
    for (let rev = instance.rev + 1; ; rev++) {
      const { exists, commit } = await log.read(instanceId, rev);
      if (!exists) break;
      if (commit) instance = await this.finish(commit, instance, true);
    }
    this.unfinished.delete(instanceId);
    return instance;
  }

  private async commit(instanceId: string, rev: number, before: Instance | null, change: StepChange): Promise<Committed | null> {
    const { log, faults } = { ...this.options, faults: this.options.faults ?? {} };
    // The state is deflated once, for the commit and the view.
    const packedState = change.fields.engineState !== undefined ? engineStateToStore(change.fields.engineState ?? null) : undefined;
    const commit: Commit = { instanceId, rev, at: change.at, fields: change.fields, outbox: change.outbox, packedState };
    try {
      if (!(await log.insert(commit))) return null;
    } catch (err) {
      // Whether it was written is unknown: the next load looks for it.
      this.options.store.forget(instanceId);
      this.unfinished.set(instanceId, true);
      throw err;
    }
    faults.afterCommit?.();
    let after: Instance;
    try {
      after = await this.finish(commit, before, false);
    } catch (err) {
      // Committed, not finished: the step stands and is finished from its commit. The person is told so, not that it
      // failed: doing it again would be refused as already done.
      this.options.store.forget(instanceId);
      this.unfinished.set(instanceId, commit);
      this.finishLater(instanceId);
      throw new RuntimeError('unavailable', '办理已记录，但数据库暂时不可用，后续处理将自动完成，请稍后刷新查看', {}, { cause: err });
    }
    return { before, after, outbox: change.outbox };
  }

  /**
   * Applies commit `commit` on top of `view` (the stored instance, null before its first view): its derived writes
   * always (idempotent), the view if the commit is newer. `replay`: finishing a step cut short (sequentially, and
   * with claims checked against their records).
   */
  private async finish(commit: Commit, view: Instance | null, replay: boolean): Promise<Instance> {
    const { store, derived, readModel, log, faults } = this.options;
    const newer = !view || commit.rev > view.rev;
    const after = newer ? ({ ...(view ?? {}), ...commit.fields, rev: commit.rev } as Instance) : view;
    const writeView = async () => {
      if (!newer) return;
      faults?.beforeView?.();
      await store.write(commit.instanceId, commit.rev, commit.fields, commit.packedState, after);
    };
    if (this.shared || replay) {
      await derived.apply(commit.outbox, { replay });
      await writeView();
    } else {
      await Promise.all([derived.apply(commit.outbox), writeView()]);
    }
    readModel.applied(after, commit.outbox);
    log.settle(commit.instanceId, commit.rev);
    return after;
  }

  /**
   * At start-up, before anything is served: finishes every step whose commit is still open — with the embedded
   * strategy every commit left in `commits`, with the shared one those still marked open.
   */
  async recover(): Promise<number> {
    const commits = await this.options.log.unfinished();
    let view: Instance | null = null;
    let broken: string | null = null;
    for (const commit of commits) {
      if (commit.instanceId === broken) continue;
      try {
        if (view?._id !== commit.instanceId) view = await this.options.store.read(commit.instanceId);
        view = await this.finish(commit, view, true);
      } catch (err) {
        // One record that cannot be applied must not keep the server from starting: its instance is left as an
        // incident (its commit stays, for an administrator), and recovery carries on with the others.
        broken = commit.instanceId;
        view = null;
        await this.quarantine(commit, err);
      }
    }
    await this.flush();
    return commits.length;
  }

  private async quarantine(commit: Commit, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`[runtime] start-up recovery could not apply commit ${commit.instanceId}:${commit.rev}: ${message}`);
    const incident = { elementId: '', message: '该流程实例的一步办理无法恢复，请管理员处理', at: new Date(), detail: message.slice(0, 500) };
    await this.options.store.markIncident(commit.instanceId, incident, commit.fields).catch(() => undefined);
  }

  /** A step whose writes failed after its commit: finished from the commit, retried 250 ms → 30 s, 12 tries. */
  private finishLater(instanceId: string, attempt = 0) {
    if (this.stopped || attempt >= FINISH_ATTEMPTS || this.retries.has(instanceId)) return;
    const delay = Math.min(FINISH_RETRY_MS * 2 ** attempt, FINISH_RETRY_MAX_MS);
    const timer = setTimeout(() => {
      this.retries.delete(instanceId);
      this.locks.run(instanceId, () => this.load(instanceId, { probe: true })).catch(() => this.finishLater(instanceId, attempt + 1));
    }, delay);
    timer.unref();
    this.retries.set(instanceId, timer);
  }

  /** Waits for every write asked for so far (settles included). */
  async flush(): Promise<void> {
    await Promise.all([this.options.derived.drain(), this.options.store.drain(), this.options.log.drain()]);
  }

  /** Stops background retries; what is left unfinished is finished by the next start-up. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }
}
