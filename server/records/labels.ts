import type { InstanceStatus } from '../db/types.js';

/** Chinese names shown for an instance's status: in the pages, the admin console and the exported lists alike. */
export const STATUS_NAMES: Record<InstanceStatus, string> = {
  running: '进行中',
  incident: '异常',
  completed: '已完成',
  cancelled: '已取消',
};
