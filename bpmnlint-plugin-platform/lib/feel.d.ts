export declare const MAX_EXPRESSION_LENGTH: number;
export declare const MAX_RANGE_BOUND: number;
export declare function isExpression(text: unknown): text is string;
export declare function unwrap(text: string): string | null;
export declare function platformForm(text: string): string;
export declare function checkFeel(source: string): string | null;
export declare function checkExpressionText(text: string): string | null;
