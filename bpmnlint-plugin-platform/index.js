/**
 * bpmnlint-plugin-platform: the platform's own deploy rules (docs/ARCHITECTURE.md, "Conventions inside BPMN files").
 *
 * Plain ES modules without Node-only imports, so the same rules run in the server (server/bpmn/lint.ts)
 * and can be bundled for the browser modeler (bpmnlint-pack-config / compile-config import
 * `bpmnlint-plugin-platform/rules/<name>`). Each rule module also exports itself as `module.exports`
 * so bpmnlint's own NodeResolver (the `bpmnlint` CLI) can `require` it on Node >= 20.19.
 *
 * All rules of `recommended` are errors: each guards something the runtime relies on.
 *  - no-script-task           script tasks and camunda:script are refused (no safe script language here)
 *  - no-javascript-condition  expressions in any language but FEEL are refused
 *  - feel-expressions         every `${…}` or `=…` parses as FEEL; conditions must be expressions
 *  - user-task-assignment     a user task has candidate groups, candidate users or an assignee
 *  - user-task-form           a user task has camunda:formData with at least one field
 *  - service-task-topic       service tasks are camunda:type="external" with a camunda:topic
 *  - iso-8601                 literal timers and due dates are ISO 8601
 *  - supported-elements       no send, receive, business-rule, manual tasks, call activities, transactions, ad-hoc
 *                             sub-processes, message, signal or conditional catch events: nothing here runs them
 */

export const rules = {
  'no-script-task': './rules/no-script-task.js',
  'no-javascript-condition': './rules/no-javascript-condition.js',
  'feel-expressions': './rules/feel-expressions.js',
  'user-task-assignment': './rules/user-task-assignment.js',
  'user-task-form': './rules/user-task-form.js',
  'service-task-topic': './rules/service-task-topic.js',
  'iso-8601': './rules/iso-8601.js',
  'supported-elements': './rules/supported-elements.js',
};

export const configs = {
  recommended: {
    rules: {
      'no-script-task': 'error',
      'no-javascript-condition': 'error',
      'feel-expressions': 'error',
      'user-task-assignment': 'error',
      'user-task-form': 'error',
      'service-task-topic': 'error',
      'iso-8601': 'error',
      'supported-elements': 'error',
    },
  },
};

export default { rules, configs };
