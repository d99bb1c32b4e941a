/** One reason a deployment is refused (or, with severity `warning`, a remark that does not refuse it). */
export interface Problem {
  /** Stable machine code, e.g. `xml/doctype`, `moddle/unknown-attribute`, `lint/label-required`, `form/invalid`. */
  code: string;
  /** Chinese message for the person deploying. */
  message: string;
  /** The BPMN element the problem is about, when known. */
  elementId?: string;
  /** 1-based position in the XML text, when known. */
  line?: number;
  column?: number;
  /** `error` (the default when absent) refuses the deployment; `warning` does not. */
  severity?: 'error' | 'warning';
}

export function isError(problem: Problem): boolean {
  return problem.severity !== 'warning';
}
