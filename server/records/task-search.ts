import type { TaskDoc } from '../db/types.js';

/**
 * Whether a task matches a 事项名称/业务编号 search (part of its business key, its step's name, whom the step is about,
 * or its process's name, either case), the same in every task list and its export.
 */
export function taskMatcher(text: string | undefined): (task: TaskDoc) => boolean {
  const part = text?.trim().toLowerCase();
  if (!part) return () => true;
  return (t) => [t.businessKey, t.name, t.subject, t.processName || t.processKey].some((v) => !!v && v.toLowerCase().includes(part));
}
