import { evaluateFeel, isExpression, unwrap } from '../expressions/feel.js';

/**
 * The expression handler given to bpmn-elements. Every `${…}` in a diagram is FEEL evaluated against the
 * instance variables held by the adapter (never against engine internals), as seen from the sub-process iteration
 * the evaluating element runs in, extended for multi-instance
 * activities with the loop figures the completion condition needs.
 */
export interface SignalPayload {
  /** Not `id`: bpmn-elements would then complete the element's wait in every sub-process iteration. */
  elementId: string;
  executionId: string;
  form: Record<string, unknown>;
  by: string;
  at: string;
}

export function createExpressionHandler(getVariables: (content: Record<string, unknown> | undefined) => Record<string, unknown>) {
  return {
    isExpression: (text: unknown) => isExpression(text),
    hasExpression: (text: unknown) => isExpression(text),
    resolveExpression(expression: unknown, from?: { content?: Record<string, unknown> }) {
      if (typeof expression !== 'string') return expression;
      const source = unwrap(expression);
      if (source === null) return expression;
      return evaluateFeel(source, { ...getVariables(from?.content), ...loopContext(from?.content) });
    },
  };
}

/** Loop figures for multi-instance completion conditions, named as in Camunda. */
export function loopContext(content: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!content || content.loopCardinality === undefined) return {};
  const outputs = Array.isArray(content.loopOutput) ? (content.loopOutput as (SignalPayload | null)[]) : [];
  const loopOutput = outputs.filter(Boolean).map((o) => ({ ...(o as SignalPayload).form, by: o!.by, at: o!.at }));
  const nrOfInstances = Number(content.loopCardinality) || 0;
  return {
    nrOfInstances,
    nrOfCompletedInstances: loopOutput.length,
    nrOfActiveInstances: Math.max(0, nrOfInstances - loopOutput.length),
    loopOutput,
  };
}
