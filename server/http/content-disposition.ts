/**
 * A Content-Disposition header for a file name in any script: an ASCII fallback for old clients and the exact name as
 * RFC 5987 `filename*`, so that neither quotes nor line breaks in a name can reach the header unescaped.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_').trim() || 'file';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
