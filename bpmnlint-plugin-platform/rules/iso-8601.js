import { isExpression } from '../lib/feel.js';
import { checkDueDateLiteral, checkTimerLiteral } from '../lib/iso8601.js';
import { describe, is } from '../lib/model.js';

/**
 * Timers have exactly one of `timeDate`, `timeDuration`, `timeCycle`; a literal value must be ISO 8601
 * (date or date-time, duration, or repeating cycle `R[n]/…`; cron is not supported). A literal
 * `camunda:dueDate` must be an ISO date, date-time or duration. `${FEEL}` values are checked by `feel-expressions`.
 *
 * @type { import('bpmnlint/lib/types.js').RuleFactory }
 */
export default function iso8601() {
  /** @param {any} node @param {any} reporter */
  function check(node, reporter) {
    if (!node.id) return;
    if (is(node, 'bpmn:UserTask') && typeof node.dueDate === 'string' && node.dueDate.trim() && !isExpression(node.dueDate)) {
      const problem = checkDueDateLiteral(node.dueDate);
      if (problem) reporter.report(node.id, `${describe(node)}：${problem}`);
    }
    if (!is(node, 'bpmn:Event')) return;
    for (const definition of node.eventDefinitions || []) {
      if (!is(definition, 'bpmn:TimerEventDefinition')) continue;
      const kinds = /** @type {const} */ (['timeDate', 'timeDuration', 'timeCycle']).filter((kind) => definition[kind]);
      if (kinds.length === 0) {
        reporter.report(node.id, `${describe(node)}的定时器没有设置时间（timeDate、timeDuration 或 timeCycle）`);
        continue;
      }
      if (kinds.length > 1) {
        reporter.report(node.id, `${describe(node)}的定时器只能设置 timeDate、timeDuration、timeCycle 中的一种`);
        continue;
      }
      const kind = kinds[0];
      const text = typeof definition[kind].body === 'string' ? definition[kind].body : '';
      if (isExpression(text)) continue;
      const problem = checkTimerLiteral(kind, text);
      if (problem) reporter.report(node.id, `${describe(node)}：${problem}`);
    }
  }
  return { check };
}

export { iso8601 as 'module.exports' };
