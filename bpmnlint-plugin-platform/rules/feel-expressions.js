import { checkExpressionText, isExpression } from '../lib/feel.js';
import { describe, expressionSites, shorten } from '../lib/model.js';

/**
 * Every expression — `${…}` (Camunda 7) or `=…` (Camunda 8) — in conditions, completion conditions, multi-instance
 * collections and cardinality, timers, due dates, candidate groups/users, assignees and input/output parameters
 * must be valid FEEL (feelin). Conditions, completion conditions and collections must be expressions at all: a
 * literal there would silently never be true.
 *
 * @type { import('bpmnlint/lib/types.js').RuleFactory }
 */
export default function feelExpressions() {
  /** @param {any} node @param {any} reporter */
  function check(node, reporter) {
    if (!node.id) return;
    for (const site of expressionSites(node)) {
      const text = site.text;
      if (site.mustBeExpression && !isExpression(text)) {
        reporter.report(
          node.id,
          text.trim()
            ? `${describe(node)}的${site.what}“${shorten(text)}”必须是表达式：写成 \${FEEL} 或 =FEEL`
            : `${describe(node)}的${site.what}为空`,
        );
        continue;
      }
      const problem = checkExpressionText(text);
      if (problem) reporter.report(node.id, `${describe(node)}的${site.what}“${shorten(text)}”无效：${problem}`);
    }
  }
  return { check };
}

export { feelExpressions as 'module.exports' };
