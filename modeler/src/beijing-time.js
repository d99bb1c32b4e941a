// Times the modeler shows, in Beijing time as on every page of the platform, whatever zone the browser is in.

const SHANGHAI = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23'
});

/** `YYYY-MM-DD HH:mm` in Asia/Shanghai of an ISO date (as server/web/views.ts formatDateTime writes it). */
export function formatBeijingTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const parts = Object.fromEntries(SHANGHAI.formatToParts(date).map((p) => [ p.type, p.value ]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
