import { describe, is } from '../lib/model.js';

/**
 * Only elements the engine runs on this platform: nothing here delivers messages or signals, checks a waiting
 * condition again, calls other processes,
 * evaluates business rules or waits for work done outside a user task, so such elements would stop an instance
 * for good (or fail it) instead of running. Throwing events are fine: they only emit.
 *
 * @type { import('bpmnlint/lib/types.js').RuleFactory }
 */
export default function supportedElements() {
  const SERVICE_INSTEAD = '请改用服务任务（camunda:type="external" 加 camunda:topic）';
  const ACTIVITIES = /** @type {Array<[string, string]>} */ ([
    ['bpmn:SendTask', `本平台没有发送消息的处理程序，${SERVICE_INSTEAD}`],
    ['bpmn:ReceiveTask', '本平台不接收外部消息，实例会一直停在这里：请改用用户任务或定时事件'],
    ['bpmn:BusinessRuleTask', `本平台不执行业务规则（DMN），${SERVICE_INSTEAD}或在条件中写 \${FEEL}`],
    ['bpmn:ManualTask', '本平台不为手工任务生成待办，实例会一直停在这里：请改用用户任务'],
    ['bpmn:CallActivity', '本平台不调用其他流程：请把被调用的步骤画进本流程（可用子流程）'],
    ['bpmn:Transaction', '本平台不支持事务子流程：请改用普通子流程'],
    ['bpmn:AdHocSubProcess', '本平台不支持自由子流程：请改用普通子流程'],
  ]);
  const CATCHES = /** @type {Array<[string, string]>} */ ([
    ['bpmn:MessageEventDefinition', '等待消息，但本平台不接收外部消息'],
    ['bpmn:SignalEventDefinition', '等待信号，但本平台不接收外部信号'],
    ['bpmn:ConditionalEventDefinition', '等待条件成立，但本平台只在到达时检查一次条件，之后不再检查'],
  ]);

  /** @param {any} node @param {any} reporter */
  function check(node, reporter) {
    for (const [type, why] of ACTIVITIES) {
      if (is(node, type)) {
        reporter.report(node.id, `${describe(node)}不能运行：${why}`);
        return;
      }
    }
    // A throwing event only emits; only a catching one would wait for what never comes.
    const catches = is(node, 'bpmn:StartEvent') || is(node, 'bpmn:IntermediateCatchEvent') || is(node, 'bpmn:BoundaryEvent');
    if (!catches) return;
    for (const definition of node.eventDefinitions || []) {
      const found = CATCHES.find(([type]) => is(definition, type));
      if (found) {
        reporter.report(node.id, `${describe(node)}${found[1]}，实例会一直停在这里：请改用用户任务或定时事件`);
      }
    }
  }
  return { check };
}

export { supportedElements as 'module.exports' };
