import type { ServiceHandler } from './types.js';

/** Service-task handlers of the secondee-appraisal process (docs/PROCESSES.md). */
export const secondeeAppraisalHandlers: Record<string, ServiceHandler> = {};
