import type { Db } from 'mongodb';
import type { TaskDoc } from '../db/types.js';
import type { Clock } from '../engine/clock.js';
import type { Actor, RuntimeApi, TaskQuery } from '../runtime/api.js';
import { displayNames } from './people.js';
import { taskMatcher } from './task-search.js';
import { MAX_EXPORT_ROWS, workbookBytes, type CellValue, type Column } from './workbook.js';

type ExportRuntime = Pick<RuntimeApi, 'listTasks' | 'org'>;

/** Rows per runtime query (the runtime serves at most 200). */
const BATCH = 200;

/** Which tasks: 我的待办 (`inbox`: mine and my groups' pool together) or one of the runtime's lists. */
export type TaskExportScope = 'inbox' | 'mine' | 'candidate' | 'all';

export interface TaskExportRequest {
  actor: Actor;
  scope: TaskExportScope;
  status: 'open' | 'completed';
  processKey?: string;
  businessKey?: string;
  /** Part of the business key, the step's name or the process's name, either case. */
  text?: string;
  about: [string, string][];
}

const STATUS: Record<TaskDoc['status'], string> = { open: '待办', completed: '已办结', cancelled: '已关闭' };

type Cursor = { createdAt: Date; id: string };

/** A task list (我的待办, 已办…) as an Excel file, in the order the pages show it: newest task first. */
export class TaskExport {
  constructor(
    private readonly runtime: ExportRuntime,
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly maxRows = MAX_EXPORT_ROWS,
  ) {}

  async workbook(request: TaskExportRequest): Promise<Buffer> {
    const { tasks, complete } = await this.read(request);
    const [org, people] = await Promise.all([
      this.runtime.org.snapshot(),
      displayNames(this.db, tasks.flatMap((t) => [t.assignee, t.completedBy])),
    ]);
    const person = (id: string | null) => (id ? people.get(id) ?? id : '');
    const columns: Column[] = [
      { header: '事项', kind: 'text', width: 30 },
      { header: '流程', kind: 'text', width: 30 },
      { header: '业务编号', kind: 'text', width: 22 },
      { header: '所属单位', kind: 'text', width: 18 },
      { header: '状态', kind: 'text', width: 8 },
      { header: '办理人', kind: 'text', width: 16 },
      { header: '收到时间', kind: 'datetime' },
      { header: '办理期限', kind: 'datetime' },
      { header: '办理时间', kind: 'datetime' },
    ];
    const rows: CellValue[][] = tasks.map((t) => {
      const unitId = t.unitPath?.[t.unitPath.length - 1];
      return [
        t.name + (t.subject ? `（${t.subject}）` : ''),
        t.processName || t.processKey,
        t.businessKey,
        unitId ? org.unit(unitId)?.name ?? unitId : '',
        STATUS[t.status] ?? t.status,
        t.status === 'completed' ? person(t.completedBy) : t.assignee ? person(t.assignee) : '待签收',
        t.createdAt,
        t.dueAt,
        t.completedAt,
      ];
    });
    return workbookBytes({ name: '任务', columns, rows, total: complete ? rows.length : null, about: request.about, at: this.clock.now() });
  }

  /** At most `maxRows` tasks, newest first; `complete` when none was left out. */
  private async read(request: TaskExportRequest): Promise<{ tasks: TaskDoc[]; complete: boolean }> {
    const { actor } = request;
    const base = { status: request.status, processKey: request.processKey, businessKey: request.businessKey };
    const list = (scope: TaskQuery['scope'], before: Cursor | null, limit: number) =>
      this.runtime.listTasks(actor, { ...base, scope, limit, before: before ?? undefined });
    const matches = taskMatcher(request.text);

    if (request.scope === 'inbox') {
      // Held and claimable tasks are two disjoint lists in the same order: the first `limit` of their union are exact.
      return collect(async (before, limit) => [...(await list('mine', before, limit)), ...(await list('candidate', before, limit))].sort(newestFirst).slice(0, limit), matches, this.maxRows);
    }
    if (request.scope === 'mine' && request.status === 'completed') {
      // The runtime lists my completed tasks by completion time, which its cursor (creation time) cannot page.
      const own = await list('mine', null, BATCH);
      if (own.length < BATCH) {
        const kept = own.filter(matches).sort(newestFirst);
        return { tasks: kept.slice(0, this.maxRows), complete: kept.length <= this.maxRows };
      }
      return collect((before, limit) => list('all', before, limit), (t) => t.completedBy === actor.id && matches(t), this.maxRows);
    }
    return collect((before, limit) => list(request.scope as TaskQuery['scope'], before, limit), matches, this.maxRows);
  }
}

/** Reads a list newest first batch by batch, keeping what `keep` accepts, up to `max`. */
async function collect(
  fetch: (before: Cursor | null, limit: number) => Promise<TaskDoc[]>,
  keep: (task: TaskDoc) => boolean,
  max: number,
): Promise<{ tasks: TaskDoc[]; complete: boolean }> {
  const tasks: TaskDoc[] = [];
  let before: Cursor | null = null;
  for (;;) {
    const batch = await fetch(before, BATCH);
    for (const task of batch) {
      if (!keep(task)) continue;
      if (tasks.length === max) return { tasks, complete: false };
      tasks.push(task);
    }
    if (batch.length < BATCH) return { tasks, complete: true };
    const last = batch[batch.length - 1]!;
    before = { createdAt: new Date(last.createdAt), id: last._id };
  }
}

/** Newest first, ties by id descending: the runtime's task order and its cursor's. */
function newestFirst(a: TaskDoc, b: TaskDoc): number {
  const d = new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime();
  return d || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);
}
