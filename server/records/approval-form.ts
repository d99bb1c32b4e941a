import type { Db } from 'mongodb';
import { reviewRedaction } from '../auth/access.js';
import type { AuditDoc, SignoffDoc } from '../db/types.js';
import { APPROVAL_DECISIONS } from '../forms/schema.js';
import type { Actor, InstanceView, RuntimeApi } from '../runtime/api.js';
import type { Attachment } from './attachments.js';
import { START_STEP } from './case-files.js';
import { STATUS_NAMES } from './labels.js';
import { displayNames } from './people.js';

type FormRuntime = Pick<RuntimeApi, 'getAudit' | 'getSignoffs' | 'caseOf' | 'org'>;

/** One step of the 审批单: who did it and when, what they submitted, and their sign-off when it was an approval. */
export interface ApprovalStep {
  step: string;
  who: string;
  at: Date;
  /** An open independent review hides what the other reviewers submitted. */
  hidden: boolean;
  fields: { label: string; value: unknown; display: string }[];
  signoff: {
    decision: string;
    decisionClass: string;
    opinion: string | null;
    source: string | null;
    /** SHA-256 of exactly what was submitted: the signature that binds the decision to its values. */
    valuesHash: string;
  } | null;
  attachments: Attachment[];
}

/** The whole case on one sheet, as a printed 审批单 keeps it. */
export interface ApprovalForm {
  processName: string;
  version: number;
  businessKey: string | null;
  unit: string;
  status: string;
  statusClass: string;
  starter: string;
  startedAt: Date;
  endedAt: Date | null;
  steps: ApprovalStep[];
  /** Files added to the case as a whole rather than at a step. */
  caseAttachments: Attachment[];
  attachments: Attachment[];
}

/**
 * The 审批单 of an instance as `actor` may read it: the case's steps in order with the values submitted (labelled as
 * on their forms), the decisions with their opinions, policy source and signature hash, and the files added.
 * `attachments` are the files the viewer may see (server/records/case-files.ts).
 */
export async function approvalForm(
  runtime: FormRuntime,
  db: Db,
  view: InstanceView,
  actor: Actor,
  attachments: Attachment[],
  /** The instance's history, when the caller has read it already. */
  audit?: AuditDoc[],
): Promise<ApprovalForm> {
  const instance = view.instance;
  const redaction = reviewRedaction(view, actor);
  const raw = audit ?? (await runtime.getAudit(instance._id));
  const history = redaction.audit(raw);
  const [entries, signoffs, org] = await Promise.all([
    runtime.caseOf(instance, history),
    runtime.getSignoffs(instance._id, raw).then((list) => redaction.signoffs(list)),
    runtime.org.snapshot(),
  ]);
  const people = await displayNames(db, [instance.startedBy, ...entries.map((e) => e.by)]);
  // caseOf answers one entry per start and per completed step of the history, in its order.
  const sources = history.filter((e) => e.type === 'instance.started' || e.type === 'task.completed');
  const byTask = new Map(signoffs.map((s) => [s.taskId, s]));
  const steps = entries.map((entry, i): ApprovalStep => {
    const source: AuditDoc | undefined = sources[i];
    const signoff: SignoffDoc | undefined = source?.taskId && !entry.hidden ? byTask.get(source.taskId) : undefined;
    return {
      step: entry.step,
      who: entry.hidden ? '其他评审人' : entry.by ? people.get(entry.by) ?? entry.by : '系统',
      at: entry.at,
      hidden: !!entry.hidden,
      // An approval's decision and opinion are shown with its signature, not twice.
      fields: entry.fields.filter((f) => !signoff || (f.id !== 'decision' && f.id !== 'opinion')).map((f) => ({ label: f.label, value: f.value, display: f.display })),
      signoff: signoff
        ? {
            decision: APPROVAL_DECISIONS[signoff.decision] ?? signoff.decision,
            decisionClass: signoff.decision,
            opinion: signoff.opinion,
            source: signoff.source,
            valuesHash: signoff.valuesHash,
          }
        : null,
      attachments: source?.taskId
        ? attachments.filter((a) => a.taskId === source.taskId)
        : source?.type === 'instance.started'
          ? attachments.filter((a) => !a.taskId && a.step === START_STEP)
          : [],
    };
  });
  return {
    processName: instance.processName || instance.processKey,
    version: instance.version,
    businessKey: instance.businessKey,
    unit: instance.unitId ? org.label(instance.unitId) : '',
    status: STATUS_NAMES[instance.status] ?? instance.status,
    statusClass: instance.status,
    starter: instance.startedBy ? people.get(instance.startedBy) ?? instance.startedBy : '系统',
    startedAt: instance.startedAt,
    endedAt: instance.endedAt,
    steps,
    caseAttachments: attachments.filter((a) => !a.taskId),
    attachments,
  };
}
