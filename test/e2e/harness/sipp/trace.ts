// Reading sipp's -trace_msg message trace.

export interface TracedMessage {
  at: number;
  direction: 'sent' | 'received';
  text: string;
}

// A -trace_msg entry starts with 47 dashes and a local timestamp, e.g.
// "----------------------------------------------- 2026-11-21 05:43:22.329009", then
// "UDP message received [287] bytes :" or "UDP message sent (500 bytes):", a blank line, the message.
const ENTRY = /^-{20,} (\d{4})-(\d\d)-(\d\d)[ \t](\d\d):(\d\d):(\d\d)\.(\d{1,6})\s*$/m;

export function parseTrace(trace: string): TracedMessage[] {
  const parts = trace.split(ENTRY); // [before, y, mo, d, h, mi, s, frac, body, y, ...]
  const out: TracedMessage[] = [];
  for (let i = 1; i + 7 < parts.length; i += 8) {
    const [y, mo, d, h, mi, s, frac] = parts.slice(i, i + 7).map(Number);
    const fracText = parts[i + 6];
    const body = parts[i + 7] ?? '';
    const ms = (frac / 10 ** fracText.length) * 1000;
    const at = new Date(y, mo - 1, d, h, mi, s).getTime() + ms; // sipp prints local time
    const m = /^\s*\S+ message (sent|received)[^\n]*\n\r?\n?([\s\S]*)$/.exec(body);
    if (!m) continue;
    out.push({ at, direction: m[1] as 'sent' | 'received', text: m[2].trimEnd() });
  }
  return out;
}

export function header(message: string, name: string, compact = name): string | undefined {
  const re = new RegExp(`^(?:${name}|${compact})[ \\t]*:[ \\t]*(.*)$`, 'im');
  return re.exec(message.split(/\r?\n\r?\n/, 1)[0])?.[1].trim();
}
