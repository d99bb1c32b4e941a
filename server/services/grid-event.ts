import type { ServiceHandler } from './types.js';

/** Service-task handlers of the grid-event process (docs/PROCESSES.md). */
export const gridEventHandlers: Record<string, ServiceHandler> = {};
