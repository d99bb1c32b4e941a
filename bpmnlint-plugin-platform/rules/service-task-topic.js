import { describe, extensions, is, nonEmpty } from '../lib/model.js';

/**
 * A service task is `camunda:type="external"` with a `camunda:topic` naming a handler of the platform.
 * Java delegates (`camunda:class`, `camunda:expression`, `camunda:delegateExpression`) and connectors are refused.
 *
 * @type { import('bpmnlint/lib/types.js').RuleFactory }
 */
export default function serviceTaskTopic() {
  /** @param {any} node @param {any} reporter */
  function check(node, reporter) {
    if (!is(node, 'bpmn:ServiceTask')) return;
    const delegates = ['class', 'expression', 'delegateExpression'].filter((name) => nonEmpty(node[name]));
    if (delegates.length) {
      reporter.report(
        node.id,
        `${describe(node)}使用了 ${delegates.map((name) => `camunda:${name}`).join('、')}，本平台不支持：请改为 camunda:type="external" 加 camunda:topic`,
      );
    }
    if (extensions(node, 'camunda:Connector').length) {
      reporter.report(node.id, `${describe(node)}使用了连接器（camunda:connector），本平台不支持`);
    }
    if (node.type !== 'external') {
      reporter.report(node.id, `${describe(node)}必须设置 camunda:type="external"`);
    }
    if (!nonEmpty(node.topic)) {
      reporter.report(node.id, `${describe(node)}没有设置处理程序名称（camunda:topic）`);
    } else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(node.topic.trim())) {
      reporter.report(node.id, `${describe(node)}的 camunda:topic“${node.topic}”无效：只能使用字母、数字、“-”“_”“.”`);
    }
  }
  return { check };
}

export { serviceTaskTopic as 'module.exports' };
