// SIP messages from sipp's -trace_msg files, with their microsecond timestamps.
//
// Every latency of the benchmark is a difference of two such timestamps: sipp writes the time it
// sent or received each message, and all sipp processes run on this machine's clock. The agent
// phones live through the whole run, so a workload reads only what its phone files gained since
// the workload began (a byte offset taken before it starts).
import fs from 'node:fs';
import { parseTrace, SippProcess } from '../test/e2e/harness/sipp';

export interface SipMessage {
  at: number; // ms since the epoch, fractional (µs resolution)
  dir: 'sent' | 'received';
  method: string; // request method, or 'SIP/2.0' for responses
  status: number; // response code, 0 for requests
  callId: string;
  cseqMethod: string;
  from: string;
  toTagged: boolean; // a To tag: inside a dialog (re-INVITE), not a new call
}

export class TraceCursor {
  private offset = 0;
  constructor(private readonly phone: SippProcess) {}

  /** Forget everything written so far. */
  mark(): void {
    this.offset = size(this.phone.file('messages.log'));
  }

  /** Messages written since the last mark. */
  read(): SipMessage[] {
    return readTrace(this.phone.file('messages.log'), this.offset);
  }
}

export function readTrace(file: string, offset = 0): SipMessage[] {
  const end = size(file);
  if (end <= offset) return [];
  const buf = Buffer.alloc(end - offset);
  const fd = fs.openSync(file, 'r');
  try { fs.readSync(fd, buf, 0, buf.length, offset); } finally { fs.closeSync(fd); }
  return parseTrace(buf.toString('utf8')).map((m) => {
    const [first] = m.text.split(/\r?\n/, 1);
    const response = first.startsWith('SIP/2.0 ');
    return {
      at: m.at,
      dir: m.direction,
      method: response ? 'SIP/2.0' : first.split(' ')[0],
      status: response ? Number(first.split(' ')[1]) : 0,
      callId: header(m.text, 'Call-ID', 'i'),
      cseqMethod: header(m.text, 'CSeq').split(/\s+/)[1] ?? '',
      from: header(m.text, 'From', 'f'),
      toTagged: /;\s*tag=/i.test(header(m.text, 'To', 't')),
    };
  });
}

function size(file: string): number {
  try { return fs.statSync(file).size; } catch { return 0; }
}

function header(message: string, name: string, compact = name): string {
  const head = message.split(/\r?\n\r?\n/, 1)[0];
  return new RegExp(`^(?:${name}|${compact})[ \\t]*:[ \\t]*(.*)$`, 'im').exec(head)?.[1].trim() ?? '';
}

const NUMBER = /\+1555\d+/;

/**
 * The caller an agent-side message belongs to. The ACD shows the caller's number as From user
 * (every bench caller number is +1555<3-digit process tag><n>); app_queue's bench dialplan puts the
 * caller's SIP Call-ID into the display name (see dialplan/extensions.conf).
 */
export function agentSideKey(from: string): string | undefined {
  return NUMBER.exec(from)?.[0] ?? /^\s*"([^"]+)"/.exec(from)?.[1];
}

/** The keys a caller's own message can be found under on the agent side. */
export function callerSideKeys(m: SipMessage): string[] {
  const number = NUMBER.exec(m.from)?.[0];
  return number ? [number, m.callId] : [m.callId];
}

/** Of a caller's keys, the first the map knows. */
export function lookup<T>(map: Map<string, T>, m: SipMessage): T | undefined {
  for (const k of callerSideKeys(m)) if (map.has(k)) return map.get(k);
  return undefined;
}

/** First message per Call-ID that matches (retransmissions have the same Call-ID and come later). */
export function firstPerCall(messages: SipMessage[], pred: (m: SipMessage) => boolean): Map<string, SipMessage> {
  const out = new Map<string, SipMessage>();
  for (const m of messages) if (pred(m) && !out.has(m.callId)) out.set(m.callId, m);
  return out;
}

/** New calls (dialog-creating INVITEs) sent or received, first transmission each. */
export function newCalls(messages: SipMessage[], dir: 'sent' | 'received'): SipMessage[] {
  return [...firstPerCall(messages, (m) => m.dir === dir && m.method === 'INVITE' && !m.toTagged).values()];
}

/** Earliest time per caller (agent side), e.g. the first INVITE an agent received for that caller. */
export function earliestByKey(messages: SipMessage[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of messages) {
    const key = agentSideKey(m.from);
    const seen = key === undefined ? undefined : out.get(key);
    if (key !== undefined && (seen === undefined || m.at < seen)) out.set(key, m.at);
  }
  return out;
}
