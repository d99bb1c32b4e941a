export declare function isIsoDate(text: string): boolean;
export declare function isIsoDateTime(text: string): boolean;
export declare function isIsoDuration(text: string): boolean;
export declare function isIsoCycle(text: string): boolean;
export declare function checkTimerLiteral(kind: 'timeDate' | 'timeDuration' | 'timeCycle', text: string): string | null;
export declare function checkDueDateLiteral(text: string): string | null;
export const MIN_CYCLE_SECONDS: number;
export const MAX_CYCLE_REPETITIONS: number;
export function checkCycleBounds(text: string): string | null;
