import type { Collection } from 'mongodb';
import type { Collections } from '../db/collections.js';
import type { AuditDoc, CommitDoc, DueTimerDoc, InstanceDoc, InstanceSummaryDoc, NoticeDoc, SignoffDoc, TaskDoc } from '../db/types.js';
import { WriteBatcher } from '../db/write-batcher.js';

/**
 * Where a step's writes go: the collections every step writes to through a group commit each (concurrent steps'
 * writes share commands, see server/db/write-batcher.ts); the timer index, written rarely and with writes whose
 * order matters within one step, directly.
 */
export interface Writers {
  commits: WriteBatcher<CommitDoc>;
  instances: WriteBatcher<InstanceDoc>;
  tasks: WriteBatcher<TaskDoc>;
  audit: WriteBatcher<AuditDoc>;
  notices: WriteBatcher<NoticeDoc>;
  signoffs: WriteBatcher<SignoffDoc>;
  instancelist: WriteBatcher<InstanceSummaryDoc>;
  duetimers: Collection<DueTimerDoc>;
}

export function writersFor(collections: Collections): Writers {
  return {
    commits: new WriteBatcher(collections.commits),
    instances: new WriteBatcher(collections.instances),
    tasks: new WriteBatcher(collections.tasks),
    audit: new WriteBatcher(collections.audit),
    notices: new WriteBatcher(collections.notices),
    signoffs: new WriteBatcher(collections.signoffs),
    instancelist: new WriteBatcher(collections.instancelist),
    duetimers: collections.duetimers,
  };
}

/** Resolves once every batched write asked for so far has been answered. */
export async function drainWriters(writers: Writers): Promise<void> {
  await Promise.all([writers.commits, writers.instances, writers.tasks, writers.audit, writers.notices, writers.signoffs, writers.instancelist].map((w) => w.drain()));
}
