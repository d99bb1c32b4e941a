import { deliberationHandlers } from './deliberation.js';
import { electionHandlers } from './election.js';
import { fundingHandlers } from './funding.js';
import { noticeHandlers } from './notices.js';
import { pilotHandlers } from './pilot.js';
import { gridEventHandlers } from './grid-event.js';
import { secondeeAppraisalHandlers } from './secondee-appraisal.js';
import { annualAwardsHandlers } from './annual-awards.js';
import { microProjectHandlers } from './micro-project.js';
import type { ServiceHandler } from './types.js';

/**
 * Every service-task handler of the platform, by `camunda:topic`. The runtime looks handlers up here; the deploy
 * check refuses a diagram whose service task names a topic that is not in `knownTopics`.
 * See docs/PROCESSES.md for which process uses which topic, its inputs and the variables it returns.
 */
export const serviceHandlers: Readonly<Record<string, ServiceHandler>> = Object.freeze({
  ...noticeHandlers,
  ...electionHandlers,
  ...deliberationHandlers,
  ...pilotHandlers,
  ...fundingHandlers,
  ...gridEventHandlers,
  ...secondeeAppraisalHandlers,
  ...annualAwardsHandlers,
  ...microProjectHandlers,
});

/** The topic names (what `validateDeployment(xml, knownTopics)` accepts). */
export const knownTopics: Set<string> = new Set(Object.keys(serviceHandlers).sort());

export function isKnownTopic(topic: string): boolean {
  return Object.prototype.hasOwnProperty.call(serviceHandlers, topic);
}
