import { describe, is, nonEmpty } from '../lib/model.js';

/**
 * A user task names who may do it: `camunda:candidateGroups`, `camunda:candidateUsers` or `camunda:assignee`.
 *
 * @type { import('bpmnlint/lib/types.js').RuleFactory }
 */
export default function userTaskAssignment() {
  /** @param {any} node @param {any} reporter */
  function check(node, reporter) {
    if (!is(node, 'bpmn:UserTask')) return;
    if (nonEmpty(node.candidateGroups) || nonEmpty(node.candidateUsers) || nonEmpty(node.assignee)) return;
    reporter.report(
      node.id,
      `${describe(node)}没有指定办理人：请设置候选组（camunda:candidateGroups）、候选用户（camunda:candidateUsers）或办理人（camunda:assignee）`,
    );
  }
  return { check };
}

export { userTaskAssignment as 'module.exports' };
