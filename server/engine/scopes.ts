/**
 * Variable scopes of multi-instance embedded sub-processes. Each iteration (one community's track in P1) gets
 * its own scope: the element variable of the iteration plus the values written inside it (task forms, service
 * outputs). Reads fall back outward to the enclosing scope and finally to the instance variables, so two
 * iterations never see each other's `decision`. When an iteration ends, its scope is appended to
 * `<subProcessId>Results` of the enclosing scope, the same convention as multi-instance user tasks.
 *
 * Scopes are plain JSON kept on the instance document next to `variables`, keyed by the engine's execution id of
 * the iteration, so they survive restarts like any other state.
 */

export interface IterationScope {
  /** The sub-process element. */
  elementId: string;
  index: number;
  /** The enclosing iteration's execution id, null when the sub-process sits at process level. */
  parentScopeId: string | null;
  /** `camunda:elementVariable` of the loop and its value for this iteration (null without a collection). */
  elementVariable: string | null;
  elementValue: unknown;
  /** Values written inside the iteration. */
  locals: Record<string, unknown>;
}

export type Scopes = Record<string, IterationScope>;

/** The scope ids from the outermost to `scopeId` itself. */
export function scopeChain(scopes: Scopes, scopeId: string | null): string[] {
  const chain: string[] = [];
  for (let id = scopeId; id && scopes[id] && chain.length < 64; id = scopes[id]!.parentScopeId) chain.unshift(id);
  return chain;
}

/** What an element inside `scopeId` sees: instance variables, overlaid by each enclosing iteration outward-in. */
export function scopedVariables(variables: Record<string, unknown>, scopes: Scopes, scopeId: string | null): Record<string, unknown> {
  const chain = scopeChain(scopes, scopeId);
  if (!chain.length) return variables;
  return { ...variables, ...scopeOverlay(scopes, chain) };
}

/** Only the scoped part of what `scopedVariables` returns. */
export function scopeOverlay(scopes: Scopes, chainOrId: string[] | string | null): Record<string, unknown> {
  const chain = Array.isArray(chainOrId) ? chainOrId : scopeChain(scopes, chainOrId);
  const overlay: Record<string, unknown> = {};
  for (const id of chain) {
    const scope = scopes[id]!;
    if (scope.elementVariable) overlay[scope.elementVariable] = scope.elementValue;
    Object.assign(overlay, scope.locals);
  }
  return overlay;
}

/** A short human label for the iteration a scope stands for (the community's name in P1), or null. */
export function scopeLabel(scopes: Scopes, scopeId: string | null): string | null {
  const labels = scopeChain(scopes, scopeId)
    .map((id) => labelOf(scopes[id]!.elementValue))
    .filter((l): l is string => Boolean(l));
  return labels.length ? labels.join(' / ') : null;
}

function labelOf(value: unknown): string | null {
  if (typeof value === 'string' || typeof value === 'number') return String(value).slice(0, 100) || null;
  if (value && typeof value === 'object') {
    for (const key of ['name', 'displayName', 'label', 'title', 'id']) {
      const v = (value as Record<string, unknown>)[key];
      if (typeof v === 'string' && v) return v.slice(0, 100);
    }
  }
  return null;
}

/** The entry appended to `<subProcessId>Results` when an iteration ends. */
export function iterationResult(scope: IterationScope): Record<string, unknown> {
  return {
    index: scope.index,
    ...(scope.elementVariable ? { [scope.elementVariable]: scope.elementValue } : {}),
    ...scope.locals,
  };
}
