export interface ExpressionSite { text: string; what: string; mustBeExpression: boolean }
export declare function is(element: any, type: string): boolean;
export declare function extensions(element: any, type: string): any[];
export declare function nonEmpty(text: unknown): text is string;
export declare function shorten(text: string, max?: number): string;
export declare function describe(element: any): string;
export declare function host(element: any): any;
export declare function isFeelLanguage(language: unknown): boolean;
export declare function languageOf(expression: any): string | undefined;
export declare function walk(root: any, visit: (node: any) => void): void;
export declare function expressionSites(element: any): ExpressionSite[];
