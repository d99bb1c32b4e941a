/**
 * Names and Chinese descriptions of the lint rules, shared by the main thread (server/bpmn/lint.ts) and the lint
 * worker (server/bpmn/lint-core.ts). No imports: safe to load anywhere.
 */

/** Platform rules that must be enabled as errors for the server to lint at all. */
export const MANDATORY_PLATFORM_RULES: readonly string[] = [
  'platform/no-script-task',
  'platform/no-javascript-condition',
  'platform/feel-expressions',
  'platform/user-task-assignment',
  'platform/user-task-form',
  'platform/service-task-topic',
  'platform/iso-8601',
  'platform/supported-elements',
];

/** Chinese descriptions of bpmnlint's own rules, put before their English messages. */
export const RULE_DESCRIPTIONS: Record<string, string> = {
  'ad-hoc-sub-process': '自由子流程的用法不正确',
  'conditional-flows': '分支的出线缺少条件（或未设默认流）',
  'end-event-required': '缺少结束事件',
  'event-based-gateway': '事件网关的用法不正确',
  'event-sub-process-typed-start-event': '事件子流程的开始事件必须有类型',
  'fake-join': '伪汇合：多条入线直接连到活动，请用网关汇合',
  global: '全局元素（消息、信号、错误等）未被使用或缺少名称',
  'label-required': '缺少名称',
  'link-event': '链接事件不成对',
  'no-bpmndi': '缺少图形信息（BPMNDI），流程图无法显示',
  'no-complex-gateway': '不允许使用复杂网关',
  'no-disconnected': '元素没有连接到流程中',
  'no-duplicate-sequence-flows': '重复的顺序流',
  'no-gateway-join-fork': '网关不能同时汇合和分支',
  'no-implicit-split': '隐式分支：多条出线请通过网关分出',
  'no-implicit-end': '隐式结束：流程分支必须以结束事件结束',
  'no-implicit-start': '隐式开始：流程必须从开始事件开始',
  'no-inclusive-gateway': '不建议使用包容网关',
  'no-overlapping-elements': '图形元素重叠',
  'single-blank-start-event': '只能有一个空白开始事件',
  'single-event-definition': '一个事件只能有一个事件定义',
  'start-event-required': '缺少开始事件',
  'sub-process-blank-start-event': '子流程必须以空白开始事件开始',
  'superfluous-gateway': '多余的网关（只有一条入线和一条出线）',
  'superfluous-label': '多余的标签',
  'superfluous-termination': '多余的终止结束事件',
};
