import { describe, extensions, is } from '../lib/model.js';

/**
 * A user task has a form: `camunda:formData` with at least one `camunda:formField`.
 *
 * @type { import('bpmnlint/lib/types.js').RuleFactory }
 */
export default function userTaskForm() {
  /** @param {any} node @param {any} reporter */
  function check(node, reporter) {
    if (!is(node, 'bpmn:UserTask')) return;
    const forms = extensions(node, 'camunda:FormData');
    if (forms.length > 1) {
      reporter.report(node.id, `${describe(node)}定义了多个表单（camunda:formData），只能有一个`);
      return;
    }
    if (!forms.length || !(forms[0].fields || []).length) {
      reporter.report(node.id, `${describe(node)}没有表单：请在 camunda:formData 中至少定义一个字段（camunda:formField）`);
    }
  }
  return { check };
}

export { userTaskForm as 'module.exports' };
