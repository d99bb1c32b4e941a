/**
 * Limits of what a deployment may contain. They are checked before any BPMN parser sees the text
 * (server/bpmn/xml-safety.ts), so a hostile file costs at most one streaming pass over 2 MiB.
 */

/**
 * Largest BPMN file accepted at deploy: 2 MiB (2,097,152 bytes of UTF-8). Real policy diagrams with
 * forms and documentation are well under 200 KiB; the HTTP layer should limit request bodies accordingly.
 */
export const MAX_BPMN_BYTES = 2 * 1024 * 1024;

/** Deepest element nesting accepted (definitions › process › subProcess › … › formField › validation › constraint). */
export const MAX_ELEMENT_DEPTH = 200;

/** Most XML elements accepted in one file (diagram interchange shapes and edges included). */
export const MAX_ELEMENT_COUNT = 5000;
