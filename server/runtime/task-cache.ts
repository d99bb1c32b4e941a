import type { TaskDoc } from '../db/types.js';

/**
 * Recently listed or created open task records, without their form, so that an inbox page is answered without a
 * database read per row. Only the fields that never change while a task is open are trusted from here: the
 * caller overlays the assignee from the open-task index, and a task that has closed is no longer in that index,
 * so a stale entry is never shown. Least recently used entries go first.
 */
export class TaskCache {
  private readonly entries = new Map<string, TaskDoc>();

  constructor(private readonly capacity = 2000) {}

  get(id: string): TaskDoc | undefined {
    const task = this.entries.get(id);
    if (task) {
      this.entries.delete(id);
      this.entries.set(id, task);
    }
    return task;
  }

  /** Who holds the task, as a step of this server just set it. */
  assign(id: string, assignee: string | null): void {
    const task = this.entries.get(id);
    if (task) this.entries.set(id, { ...task, assignee });
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  set(task: TaskDoc): void {
    const { formSchema: _form, ...rest } = task;
    this.entries.delete(task._id);
    this.entries.set(task._id, rest as TaskDoc);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
