/**
 * A community's name as the platform keeps it: ending in exactly one 社区 (幸福 → 幸福社区, 幸福社区 stays), so that
 * notices and titles built on it (…居民委员会) never read 幸福社区社区. The residents' committee is named from it, so a
 * name that already is the committee's is refused rather than guessed at.
 */
export function normalizeCommunityName(text: string): { value: string } | { error: string } {
  const name = text.trim().replace(/\s+/g, '');
  if (/居民委员会|居委会/.test(name)) return { error: '只填写社区的名称（如“幸福社区”），不要写“居民委员会”或“居委会”' };
  if (/^社区$/.test(name)) return { error: '请填写社区的名称，如“幸福社区”' };
  return { value: name.endsWith('社区') ? name : `${name}社区` };
}
