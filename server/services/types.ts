/**
 * Service-task handlers: named TypeScript functions that a BPMN service task calls through
 * `camunda:type="external" camunda:topic="<name>"`. They compute (tallies, funding, scores) and may
 * publish notices; they never touch the database themselves: the runtime commits what they return
 * together with the step, so a retried step cannot publish twice.
 */

export interface NoticeDraft {
  /** Kind of notice, e.g. `election-result`, `resolution`, `implementation-result`, `named-pilots`, `renewal`. */
  kind: string;
  title: string;
  /** Rendered body (HTML produced from a handlebars template in forms/notices/, already escaped). */
  body: string;
  publishedAt: Date;
  /** End of the publicity period. */
  endAt: Date;
  /** The publicity period as the policy states it: a number of days, counted as working days or calendar days. */
  period?: { days: number; workingDays: boolean };
  /** Template file name in forms/notices/ (without `.hbs`). */
  template?: string;
}

export interface ServiceContext {
  /** The runtime clock (manual in tests). */
  now: Date;
  /** Evaluated `camunda:inputParameter` values of the service task. */
  inputs: Record<string, unknown>;
  /** The instance variables at this step (read-only). */
  variables: Readonly<Record<string, unknown>>;
  instance: { id: string; processKey: string; processName: string; businessKey: string | null };
  element: { id: string; name: string | null; documentation: string | null };
  /** Queue a public notice; it is stored when the step commits. */
  publishNotice(notice: NoticeDraft): void;
}

/** Returns the variables to set on the instance. */
export type ServiceHandler = (ctx: ServiceContext) => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * A rule of a policy was broken by the data the step works on. The message is Chinese and names the rule and the
 * clause it comes from; the step fails as an incident that an administrator can retry after correction.
 */
export class RuleViolation extends Error {
  constructor(
    message: string,
    readonly source?: string,
  ) {
    super(message);
    this.name = 'RuleViolation';
  }
}
