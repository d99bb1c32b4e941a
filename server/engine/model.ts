/**
 * What the engine adapter needs to know about a deployed process version, read once at deploy
 * (server/bpmn/validate.ts produces it) and cached: nothing here parses XML on a step.
 */
export interface UserTaskModel {
  id: string;
  name: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  assignee: string | null;
  dueDate: string | null;
  priority: string | number | null;
  form: unknown;
  documentation: string | null;
  multiInstance: boolean;
  /** Each iteration of this multi-instance task (within one sub-process iteration) by a different person. */
  distinctPerformers?: boolean;
  /** Roles a completed task is copied to (抄送), in the case's unit. */
  cc?: string[];
  /** Directly in the process, not inside a sub-process. */
  topLevel?: boolean;
}

export interface ServiceTaskModel {
  topic: string;
  inputs: Record<string, string>;
}

export interface ProcessModelInfo {
  key: string;
  name: string;
  userTasks: Map<string, UserTaskModel>;
  serviceTasks: Map<string, ServiceTaskModel>;
  /** Element names by id, for audit and timelines. */
  elementNames?: Map<string, string>;
  documentation?: Map<string, string>;
}
