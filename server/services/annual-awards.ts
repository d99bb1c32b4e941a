import type { ServiceHandler } from './types.js';

/** Service-task handlers of the annual-awards process (docs/PROCESSES.md). */
export const annualAwardsHandlers: Record<string, ServiceHandler> = {};
