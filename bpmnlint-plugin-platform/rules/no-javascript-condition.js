import { describe, host, is, isFeelLanguage, shorten } from '../lib/model.js';

/**
 * Every expression (sequence-flow conditions, completion conditions, loop cardinality, timers, conditional
 * events) must be FEEL: a `language` attribute other than FEEL (javascript, groovy, juel…) is refused, as are
 * externally loaded expressions (`camunda:resource`) and a non-FEEL `expressionLanguage` on the definitions.
 *
 * @type { import('bpmnlint/lib/types.js').RuleFactory }
 */
export default function noJavascriptCondition() {
  /** @param {any} node @param {any} reporter */
  function check(node, reporter) {
    if (is(node, 'bpmn:Definitions')) {
      if (Object.prototype.hasOwnProperty.call(node, 'expressionLanguage') && !isFeelLanguage(node.expressionLanguage)) {
        reporter.report(node.id, `定义的表达式语言（expressionLanguage）“${shorten(node.expressionLanguage)}”不被允许：本平台只使用 FEEL`);
      }
      return;
    }
    if (!is(node, 'bpmn:Expression')) return;
    const target = host(node);
    if (!isFeelLanguage(node.language)) {
      reporter.report(
        target.id,
        `${describe(target)}中的表达式使用了语言“${shorten(node.language, 30)}”，本平台只接受 FEEL：请写成 \${FEEL} 形式，并去掉 language 属性`,
      );
    }
    if (node.resource || (node.$attrs && Object.keys(node.$attrs).some((name) => /(^|:)resource$/.test(name)))) {
      reporter.report(target.id, `${describe(target)}中的表达式引用了外部资源（camunda:resource），这不被允许`);
    }
  }
  return { check };
}

export { noJavascriptCondition as 'module.exports' };
