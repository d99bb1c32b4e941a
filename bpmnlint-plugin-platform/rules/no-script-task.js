import { describe, is, walk } from '../lib/model.js';

/**
 * Script tasks are refused: the platform has no safe script language, diagram content is only ever
 * interpreted as FEEL. Also refuses `camunda:script` anywhere in extension elements (input/output
 * parameters, execution and task listeners).
 *
 * @type { import('bpmnlint/lib/types.js').RuleFactory }
 */
export default function noScriptTask() {
  /** @param {any} node @param {any} reporter */
  function check(node, reporter) {
    if (is(node, 'bpmn:ScriptTask')) {
      const format = typeof node.scriptFormat === 'string' && node.scriptFormat.trim() ? `（${node.scriptFormat.trim()}）` : '';
      reporter.report(
        node.id,
        `${describe(node)}不被允许：本平台不执行任何脚本${format}，请改用服务任务（camunda:type="external" 加 camunda:topic）或 \${FEEL} 表达式`,
      );
      return;
    }
    if (node.id && node.extensionElements) {
      let found = false;
      walk(node.extensionElements, (child) => {
        if (is(child, 'camunda:Script')) found = true;
      });
      if (found) {
        reporter.report(node.id, `${describe(node)}的扩展属性中含有脚本（camunda:script），本平台不执行脚本`);
      }
    }
  }
  return { check };
}

export { noScriptTask as 'module.exports' };
