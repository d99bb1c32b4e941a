export { STATUS_NAMES } from '../records/labels.js';

/** Chinese names of the audit entries' types, for every history shown (a type not listed is shown as written). */
export const AUDIT_NAMES: Record<string, string> = {
  'instance.started': '发起流程',
  'task.created': '待办生成',
  'task.claimed': '签收',
  'task.unclaimed': '退回签收',
  'task.completed': '办理完成',
  'task.reassigned': '改派',
  // Closed by the process (a boundary timer, a sign-off decided without it), not by a person.
  'task.cancelled': '待办关闭',
  'service.completed': '自动办理',
  'timer.fired': '计时到期',
  incident: '发生异常',
  'instance.completed': '流程结束',
  'instance.cancelled': '流程取消',
  'notice.published': '发布公示',
  'element.completed': '环节完成',
  'admin.cancel': '管理员取消流程',
  'admin.retry': '管理员重试异常',
  'admin.reassign': '管理员改派任务',
  'task.transferred': '转办',
  'task.returned': '退回',
  'task.signers_added': '加签',
  'task.cosigned': '加签人签署',
  // A 后加签 submission returned to its submitter: refused by a signer, taken back, or moved by an administrator.
  'task.held_released': '提交退回',
  'task.recalled': '撤回办理',
  'task.delegated': '委派',
  'task.resolved': '委派交回',
  'task.copied': '抄送',
  'task.reminded': '催办',
  'instance.withdrawn': '发起人撤回',
};
