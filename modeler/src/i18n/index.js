// The modeler's `translate` service: Simplified Chinese for bpmn-js, diagram-js, the properties panel
// and the lint overlays. The community dictionary (bpmn-js-i18n) is completed, and corrected where
// needed, by our own (./zh-CN.js). Also imported by modeler/scripts/check-translations.mjs in Node.

import communityDictionary from 'bpmn-js-i18n/translations/zn.js';
import ownDictionary, { lintPatterns } from './zh-CN.js';

export { communityDictionary, ownDictionary };

/** Our dictionary completes the community one and wins where both translate a string. */
export const dictionary = Object.assign({}, communityDictionary, ownDictionary);

/** A bpmnlint message in Chinese (messages of the platform's own rules already are). */
export function translateLintMessage(message) {
  if (typeof message !== 'string') return message;
  if (Object.prototype.hasOwnProperty.call(dictionary, message)) return dictionary[message];
  for (const [ re, replacement ] of lintPatterns) {
    if (re.test(message)) return message.replace(re, replacement);
  }
  return message;
}

const hasLatinWord = (s) => /[A-Za-z]{2,}/.test(s) && !/[\u3400-\u9fff]/.test(s);

/**
 * Strings asked for but not translated, collected in the browser so that a test (or a developer in
 * the console: `__missingTranslations`) can see what is still English.
 */
function recordMissing(template) {
  if (typeof globalThis === 'undefined' || !hasLatinWord(template)) return;
  const set = globalThis.__missingTranslations || (globalThis.__missingTranslations = new Set());
  set.add(template);
}

/**
 * diagram-js translate contract: `translate(template, replacements)` with `{key}` placeholders.
 *
 * @param {string} template
 * @param {Record<string, string>} [replacements]
 */
export function translate(template, replacements) {
  replacements = replacements || {};
  let text = translateLintMessage(template);
  if (text === template && typeof template === 'string' && !Object.prototype.hasOwnProperty.call(dictionary, template)) {
    recordMissing(template);
  }
  if (typeof text !== 'string') return text;
  return text.replace(/{([^}]+)}/g, (match, key) =>
    Object.prototype.hasOwnProperty.call(replacements, key) ? String(replacements[key]) : match);
}

/** additionalModules entry replacing diagram-js' default translate service. */
export const translateModule = {
  translate: [ 'value', translate ]
};

export default translateModule;
