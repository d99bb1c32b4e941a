// Minimal declarations for libraries that ship no TypeScript types of their own.
declare module 'moddle-context-serializer' {
  export default function serializer(context: unknown, typeResolver: unknown, extendFn?: unknown): unknown;
  export function TypeResolver(types: Record<string, unknown>, extender?: unknown): unknown;
  export function deserialize(serialized: unknown, typeResolver: unknown): unknown;
}

// bpmn-moddle 10 exposes its types only under 'bpmn-moddle/types'; this is the part the project uses.
declare module 'bpmn-moddle' {
  export interface ModdleElement {
    $type: string;
    $attrs?: Record<string, string>;
    $parent?: ModdleElement;
    id?: string;
    name?: string;
    [key: string]: any;
  }
  export interface ModdleWarning {
    message: string;
    element?: ModdleElement;
    property?: string;
    error?: Error;
  }
  export interface ParseResult {
    rootElement: ModdleElement;
    elementsById: Record<string, ModdleElement>;
    references: unknown[];
    warnings: ModdleWarning[];
  }
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>, options?: Record<string, unknown>);
    fromXML(xml: string, typeName?: string, options?: Record<string, unknown>): Promise<ParseResult>;
    toXML(element: ModdleElement, options?: Record<string, unknown>): Promise<{ xml: string }>;
    create(type: string, attrs?: Record<string, unknown>): ModdleElement;
  }
  export default BpmnModdle;
}

declare module 'bpmnlint-plugin-platform/lib/feel.js' {
  export const MAX_EXPRESSION_LENGTH: number;
  export const MAX_RANGE_BOUND: number;
  export function isExpression(text: unknown): text is string;
  export function unwrap(text: string): string | null;
  export function platformForm(text: string): string;
  export function checkFeel(source: string): string | null;
  export function checkExpressionText(text: string): string | null;
}
