/* Time formatting, and the ticker that keeps relative times ("5m") current. */

export function parseTime(s) {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

export function relTime(s) {
  const t = parseTime(s);
  if (t === null) return '';
  const d = Math.max(0, Date.now() - t) / 1000;
  if (d < 45) return 'now';
  if (d < 3600) return Math.max(1, Math.round(d / 60)) + 'm';
  if (d < 86400) return Math.round(d / 3600) + 'h';
  if (d < 7 * 86400) return Math.round(d / 86400) + 'd';
  const dt = new Date(t);
  const sameYear = dt.getFullYear() === new Date().getFullYear();
  return dt.toLocaleDateString(undefined, sameYear ? { month: 'short', day: 'numeric' }
    : { year: 'numeric', month: 'short', day: 'numeric' });
}

export function relTimeLong(s) {
  const r = relTime(s);
  if (r === 'now') return 'just now';
  if (/^\d+[mhd]$/.test(r)) return r + ' ago';
  return r;
}

export function clock(t) {
  return new Date(t).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

export function fullTime(s) {
  const t = parseTime(s);
  return t === null ? '' : new Date(t).toLocaleString();
}

export function dayKey(t) {
  const d = new Date(t);
  return d.getFullYear() + '-' + d.getMonth() + '-' + d.getDate();
}

export function dayLabel(t) {
  const today = new Date();
  if (dayKey(t) === dayKey(today.getTime())) return 'Today';
  if (dayKey(t) === dayKey(today.getTime() - 86400000)) return 'Yesterday';
  const d = new Date(t);
  return d.toLocaleDateString(undefined, d.getFullYear() === today.getFullYear()
    ? { weekday: 'long', month: 'long', day: 'numeric' }
    : { year: 'numeric', month: 'long', day: 'numeric' });
}

function tickTimes() {
  document.querySelectorAll('time[data-rel]').forEach((t) => {
    const v = relTime(t.getAttribute('data-rel'));
    if (t.textContent !== v) t.textContent = v;
  });
}

export function startTicker() {
  setInterval(tickTimes, 30000);
}
