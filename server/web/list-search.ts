/** A list's address with its query (empty values left out). */
function withQuery(path: string, params: Record<string, string | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The switch between 我的待办, 已办 and 我发起的, carrying the 事项名称/业务编号 search to the list chosen. */
export function listSwitch(current: 'tasks' | 'done' | 'mine', search: string) {
  return [
    { label: '我的待办', url: withQuery('/tasks', { q: search }), current: current === 'tasks' },
    { label: '已办', url: withQuery('/done', { q: search }), current: current === 'done' },
    { label: '我发起的', url: withQuery('/mine', { q: search }), current: current === 'mine' },
  ];
}

/** The Excel export of a list with the filters it shows (GET /api/…/export.xlsx, docs/API.md). */
export function exportUrl(kind: 'instances' | 'tasks', params: Record<string, string | null | undefined>): string {
  return withQuery(`/api/${kind}/export.xlsx`, params);
}
