// SIPp harness for the e2e tests: callers, agent phones and registrations against a local Asterisk.
//
// Each helper renders a scenario from a template into a fresh folder (SIPp 3.6.1 does not honour
// -set variables in <pause>, so every number is written into the XML) and spawns
// /usr/bin/sipp on 127.0.0.1 with its own SIP port, message/error traces and statistics file.
// A global -timeout bounds every process, and any sipp still running when Node exits is killed.
//
// Things a test must know:
// - Agent phones are single-purpose UAS processes: they count every new incoming dialog as a call,
//   so the agent's AOR must not be qualified (qualify_frequency=0) or the OPTIONS become failed calls.
// - A re-INVITE (or UPDATE, via -aa) during the talk phase is answered, but restarts the
//   hangupAfterMs timer of that phase.
// - DTMF is RFC 4733 (payload 101) played from a generated pcap through a raw socket: root needed.
// - SippResult.errors also holds benign notes ("receive timeout ..., jumping to label", automatic
//   answers): judge a run by code/successful/failed, not by errors being empty.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { allocatePort } from './ports';

const SIPP = process.env.SIPP_BIN ?? '/usr/bin/sipp';
const LOCAL_IP = '127.0.0.1';
const DEFAULT_ASTERISK_PORT = 5060;
const BYE_WAIT_MS = 5 * 60_000;

export interface SippResult {
  code: number | null;
  signal: string | null;
  successful: number;
  failed: number;
  messages: string; // full -trace_msg text
  errors: string; // -trace_err text
  stderr: string; // sipp's own complaints (scenario errors, bind failures)
}

export interface ReceivedInvite {
  at: number; // ms epoch, from the trace timestamp
  from: string; // From header value
  requestUri: string;
  callId: string;
}

// ---------------------------------------------------------------------------------------------
// Processes

let rootDir: string | undefined;
let seq = 0;
const live = new Set<ChildProcess>();

function newWorkDir(kind: string): string {
  if (!rootDir) {
    rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acd-sipp-'));
    process.on('exit', (code) => {
      for (const child of live) child.kill('SIGKILL');
      // Traces of a failed run are worth keeping; ACD_SIPP_KEEP=1 keeps them always.
      if (!process.env.ACD_SIPP_KEEP && code === 0) fs.rmSync(rootDir!, { recursive: true, force: true });
    });
  }
  const dir = path.join(rootDir, `${kind}-${++seq}`);
  fs.mkdirSync(dir);
  return dir;
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export class SippProcess {
  readonly port: number;
  readonly dir: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<SippResult>;
  private result?: SippResult;
  private waiters = 0;

  constructor(kind: string, dir: string, port: number, scenarioArgs: string[], lifetimeMs: number) {
    this.port = port;
    this.dir = dir;
    const args = [
      ...scenarioArgs,
      '-i', LOCAL_IP,
      '-p', String(port),
      '-mi', LOCAL_IP,
      '-ci', LOCAL_IP, // the UDP control socket, otherwise on 0.0.0.0:8888 and limited to 60 instances
      '-cp', String(allocatePort()),
      '-nostdin',
      '-aa', // auto-200 for in-dialog INFO/NOTIFY/OPTIONS/UPDATE (e.g. connected-line UPDATEs)
      '-trace_msg', '-message_file', this.file('messages.log'),
      '-trace_err', '-error_file', this.file('errors.log'),
      '-trace_stat', '-stf', this.file('stats.csv'), '-fd', '1', // fresh counters even after SIGKILL
      '-timeout', `${Math.ceil(lifetimeMs / 1000)}s`, '-timeout_error',
    ];
    fs.writeFileSync(this.file('command.txt'), [SIPP, ...args].join(' ') + '\n');
    // stdout is sipp's live screen: discard it. stderr goes to a file so no pipe keeps Node alive.
    const stderrFd = fs.openSync(this.file('stderr.log'), 'w');
    this.child = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', 'ignore', stderrFd] });
    fs.closeSync(stderrFd);
    this.child.unref(); // a forgotten phone must not keep the test runner alive; 'exit' kills it
    live.add(this.child);
    this.exited = new Promise<SippResult>((resolve, reject) => {
      this.child.once('error', (err) => {
        live.delete(this.child);
        reject(new Error(`cannot run ${SIPP} for ${kind}: ${err.message}`));
      });
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        this.result = { code, signal, ...this.counters(), messages: this.messages(), errors: readIfExists(this.file('errors.log')), stderr: readIfExists(this.file('stderr.log')) };
        resolve(this.result);
      });
    });
    this.exited.catch(() => undefined); // the rejection is reported by wait()/stop()
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** The message trace so far. */
  messages(): string {
    return readIfExists(this.file('messages.log'));
  }

  /** Dialog-creating INVITEs received so far, oldest first (re-INVITEs and retransmissions left out). */
  invites(): ReceivedInvite[] {
    const seen = new Set<string>();
    return parseTrace(this.messages())
      .filter((m) => m.direction === 'received' && m.text.startsWith('INVITE ') && !/;\s*tag=/i.test(header(m.text, 'To', 't') ?? ''))
      .filter((m) => {
        const key = `${header(m.text, 'Call-ID', 'i')} ${header(m.text, 'CSeq')}`;
        return !seen.has(key) && !!seen.add(key);
      })
      .map((m) => ({
        at: m.at,
        from: header(m.text, 'From', 'f') ?? '',
        requestUri: m.text.split(/\r?\n/, 1)[0].split(' ')[1],
        callId: header(m.text, 'Call-ID', 'i') ?? '',
      }));
  }

  /** Resolves when sipp exits; on timeout kills it and rejects. */
  async wait(timeoutMs?: number): Promise<SippResult> {
    this.waiters++;
    this.child.ref(); // keep Node alive while somebody awaits us
    let timer: NodeJS.Timeout | undefined;
    try {
      if (timeoutMs === undefined) return await this.exited;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const first = await Promise.race([this.exited, timedOut]);
      if (first !== 'timeout') return first;
      const r = await this.stop();
      throw new Error(`sipp (${this.dir}) still running after ${timeoutMs} ms; killed. successful=${r.successful} failed=${r.failed}\n${r.errors}${r.stderr}`);
    } finally {
      clearTimeout(timer);
      if (--this.waiters === 0 && this.result === undefined) this.child.unref();
    }
  }

  /** SIGTERM (sipp then writes its final statistics), SIGKILL after 2 s. */
  async stop(): Promise<SippResult> {
    if (this.result) return this.result;
    this.child.ref();
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(killer);
    }
  }

  private counters(): { successful: number; failed: number } {
    // -trace_stat: ';'-separated, header line first, one line per dump; the last line is the newest.
    const lines = readIfExists(this.file('stats.csv')).trim().split('\n');
    if (lines.length < 2) return { successful: 0, failed: 0 };
    const names = lines[0].split(';');
    const values = lines[lines.length - 1].split(';');
    const get = (name: string) => Number(values[names.indexOf(name)] ?? 0) || 0;
    return { successful: get('SuccessfulCall(C)'), failed: get('FailedCall(C)') };
  }
}

// ---------------------------------------------------------------------------------------------
// Trace parsing

interface TracedMessage {
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

function header(message: string, name: string, compact = name): string | undefined {
  const re = new RegExp(`^(?:${name}|${compact})[ \\t]*:[ \\t]*(.*)$`, 'im');
  return re.exec(message.split(/\r?\n\r?\n/, 1)[0])?.[1].trim();
}

// ---------------------------------------------------------------------------------------------
// Scenario building blocks

// Values go verbatim into CDATA message templates, so sipp keywords such as [call_number] work.
function cdataSafe(value: string, what: string): string {
  if (/[\r\n"]|]]>/.test(value)) throw new Error(`${what} must not contain CR, LF, '"' or ']]>': ${JSON.stringify(value)}`);
  return value;
}

function xmlAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** POSIX extended regex (sipp uses regcomp(REG_EXTENDED)) matching the literal text. */
function ereLiteral(value: string): string {
  // Inside a bracket expression every special character but '^' is literal.
  return value.replace(/[.[\]()*+?{}|$\\]/g, (c) => `[${c}]`).replace(/\^/g, '\\^');
}

function scenario(name: string, body: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="${name}">\n${body}\n</scenario>\n`;
}

const send = (msg: string, attrs = '') => `  <send${attrs}><![CDATA[\n${msg.trim().replace(/^ */gm, '      ')}\n  ]]></send>`;

const SDP = `
v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv`;

/** Our SDP, advertising `mediaPort` (a test's RtpPeer) instead of sipp's own media port when given. */
function sdp(mediaPort?: number): string {
  return mediaPort ? SDP.replace('m=audio [media_port]', `m=audio ${Number(mediaPort)}`) : SDP;
}

/** 200 OK with our SDP to the last received INVITE (initial or re-INVITE). */
function okWithSdp(toSuffix: string, mediaPort?: number): string {
  return send(
    `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]${toSuffix}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]
${sdp(mediaPort)}`,
    ' retrans="500"',
  );
}

function okNoBody(attrs = ''): string {
  return send(
    `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0`,
    attrs,
  );
}

/**
 * The talk phase of both roles: answer re-INVITEs, answer the far end's BYE at any time, or
 * after `timeoutMs` hang up ourselves (jump to `onTimeout`, or fail the call without it).
 * The timeout sits on the first, optional, recv because sipp only arms the timeout of the step
 * it is waiting at; a BYE still matches the following step.
 */
function talkPhase(timeoutMs: number, onTimeout: string | undefined, mediaPort?: number): string {
  const timeout = ` timeout="${Math.max(1, Math.round(timeoutMs))}"${onTimeout ? ` ontimeout="${onTimeout}"` : ''}`;
  return `  <label id="talk"/>
  <recv request="INVITE" optional="true"${timeout} next="reinvite"/>
  <recv request="BYE" next="farbye"/>
  <label id="reinvite"/>
${okWithSdp('', mediaPort)}
  <recv request="ACK" next="talk"/>`;
}

// ---------------------------------------------------------------------------------------------
// Caller

export interface CallerOptions {
  extension: string;
  /** From user. May contain sipp keywords, e.g. "+1555000[call_number]" for distinct callers. */
  callerNumber: string;
  callerName?: string;
  asteriskPort?: number; // 5060
  port?: number;
  /** After the 200 OK, send BYE after this long unless the far end sent BYE first. */
  hangupAfterMs: number;
  calls?: number; // 1
  /** One new call every rateMs (default 1000). */
  rateMs?: number;
  /**
   * RFC 4733 events (payload type 101), timed from the ACK, 100 ms per digit and 100 ms apart.
   * Digits: 0-9 * # A-D. Sent through sipp's pcap player, which uses a raw socket (root only).
   */
  dtmf?: { afterMs: number; digits: string }[];
  /** A 440 Hz tone standing for the caller's voice, timed from the ACK like dtmf (same pcap player), then 3 s of silent frames. */
  speak?: { afterMs: number; ms: number }[];
  /** Global safety for the sipp process (default: all calls' durations + 60 s). */
  lifetimeMs?: number;
  /**
   * Advertise this RTP port in the SDP instead of sipp's own, so that a test's RtpListener
   * receives (and can measure) what Asterisk plays to the caller.
   */
  mediaPort?: number;
  /** Extra INVITE headers, e.g. "X-ACD-Priority: 5" (the dialplan reads X-ACD-Priority and X-ACD-Skills from trusted endpoints). */
  headers?: string[];
  /**
   * Call as this PJSIP endpoint (an SBC or IVR server: Asterisk identifies it by the From user)
   * instead of an anonymous caller; the caller's number goes in P-Asserted-Identity, as an SBC sends it.
   */
  viaEndpoint?: string;
}

export function startCaller(o: CallerOptions): SippProcess {
  const dir = newWorkDir('caller');
  const port = o.port ?? allocatePort();
  const calls = o.calls ?? 1;
  const rateMs = o.rateMs ?? 1000;
  const ext = cdataSafe(o.extension, 'extension');
  const number = cdataSafe(o.callerNumber, 'callerNumber');
  const fromUser = o.viaEndpoint !== undefined ? cdataSafe(o.viaEndpoint, 'viaEndpoint') : number;
  const pai = o.viaEndpoint !== undefined ? [`P-Asserted-Identity: <sip:${number}@[local_ip]>`] : [];
  const from = `${o.callerName !== undefined ? `"${cdataSafe(o.callerName, 'callerName')}" ` : ''}<sip:${fromUser}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`;
  let dtmf = '';
  if (o.dtmf?.length || o.speak?.length) {
    fs.writeFileSync(path.join(dir, 'dtmf.pcap'), dtmfPcap(o.dtmf ?? [], o.speak));
    dtmf = `  <nop><action><exec play_pcap_audio="${xmlAttr(path.join(dir, 'dtmf.pcap'))}"/></action></nop>`;
  }
  const inDialog = (method: string, cseq: number) => `${method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: ${from}
To: <sip:${ext}@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${cseq} ${method}
Max-Forwards: 70
Content-Length: 0`;

  const xml = scenario(
    'acd caller',
    `${send(
      `INVITE sip:${ext}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: ${from}
To: <sip:${ext}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:${number}@[local_ip]:[local_port]>
Max-Forwards: 70
${[...pai, ...(o.headers ?? [])].map((h) => `${cdataSafe(h, 'header')}\n`).join('')}Content-Type: application/sdp
Content-Length: [len]
${sdp(o.mediaPort)}`,
      ' retrans="500"',
    )}
${[100, 180, 181, 182, 183].map((code) => `  <recv response="${code}" optional="true"/>`).join('\n')}
  <recv response="200" rrs="true"/>
${send(inDialog('ACK', 1))}
${dtmf}
${talkPhase(o.hangupAfterMs, 'hangup', o.mediaPort)}
  <label id="hangup"/>
${send(inDialog('BYE', 2), ' retrans="500"')}
  <recv response="200" next="done"/>
  <label id="farbye"/>
${okNoBody()}
  <label id="done"/>`,
  );
  const file = path.join(dir, 'caller.xml');
  fs.writeFileSync(file, xml);
  const lifetimeMs = o.lifetimeMs ?? (calls - 1) * rateMs + o.hangupAfterMs + 60_000;
  return new SippProcess('caller', dir, port, [
    `${LOCAL_IP}:${o.asteriskPort ?? DEFAULT_ASTERISK_PORT}`,
    '-sf', file,
    '-m', String(calls),
    '-l', String(calls), // sipp's default limit derives from -d, which we do not use
    '-r', '1', '-rp', String(rateMs),
  ], lifetimeMs);
}

// RFC 4733 events in a pcap for sipp's play_pcap_audio. PCMU silence runs from the ACK until the
// last digit ends (a phone sends audio around its DTMF, and it lets Asterisk latch our source);
// it pauses while an event is being sent. sipp only uses the UDP part and rewrites both ports.
/** G.711 μ-law encoding of one linear sample. */
function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  let mag = Math.min(Math.abs(sample), 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (mag & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (mag >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** 20 ms of a 440 Hz tone starting at `ms`: a stand-in for a caller's voice. */
function voiceFrame(ms: number): Buffer {
  const b = Buffer.alloc(160);
  for (let i = 0; i < 160; i++) b[i] = linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * 440 * (ms * 8 + i)) / 8000)));
  return b;
}

function dtmfPcap(events: { afterMs: number; digits: string }[], speech: { afterMs: number; ms: number }[] = []): Buffer {
  const TONE_MS = 100;
  const GAP_MS = 100;
  const codes = '0123456789*#ABCD';
  type Pkt = { t: number; pt: number; marker: boolean; ts: number; payload: Buffer };
  const pkts: Pkt[] = [];
  let busyUntil = 0;
  for (const e of [...events].sort((a, b) => a.afterMs - b.afterMs)) {
    let t = Math.max(e.afterMs, busyUntil);
    for (const digit of e.digits.toUpperCase()) {
      const code = codes.indexOf(digit);
      if (code < 0) throw new Error(`DTMF digit ${JSON.stringify(digit)} is not one of ${codes}`);
      const ts = t * 8;
      const ev = (duration: number, end: boolean) => Buffer.from([code, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
      for (let d = 20; d <= TONE_MS; d += 20) pkts.push({ t: t + d - 20, pt: 101, marker: d === 20, ts, payload: ev(d * 8, false) });
      for (let i = 0; i < 3; i++) pkts.push({ t: t + TONE_MS, pt: 101, marker: false, ts, payload: ev(TONE_MS * 8, true) });
      t += TONE_MS + GAP_MS;
    }
    busyUntil = t;
  }
  // after speaking, a phone keeps sending (silent) frames: silence detection needs frames to count
  for (const sp of speech) busyUntil = Math.max(busyUntil, sp.afterMs + sp.ms + 3000);
  const eventTimes = pkts.map((p) => p.t);
  const inEvent = (t: number) => eventTimes.some((et) => t >= et && t <= et + 20);
  const speaking = (t: number) => speech.some((sp) => t >= sp.afterMs && t < sp.afterMs + sp.ms);
  for (let t = 0; t < busyUntil; t += 20) {
    if (!inEvent(t)) pkts.push({ t, pt: 0, marker: t === 0, ts: t * 8, payload: speaking(t) ? voiceFrame(t) : Buffer.alloc(160, 0xff) });
  }
  pkts.sort((a, b) => a.t - b.t || a.pt - b.pt);

  const ssrc = (Math.random() * 0xffffffff) >>> 0;
  const globalHeader = Buffer.alloc(24);
  globalHeader.writeUInt32LE(0xa1b2c3d4, 0);
  globalHeader.writeUInt16LE(2, 4);
  globalHeader.writeUInt16LE(4, 6);
  globalHeader.writeUInt32LE(65535, 16);
  globalHeader.writeUInt32LE(1, 20); // Ethernet
  const records = pkts.map((p, i) => {
    const rtp = Buffer.alloc(12);
    rtp[0] = 0x80;
    rtp[1] = (p.marker ? 0x80 : 0) | p.pt;
    rtp.writeUInt16BE((1000 + i) & 0xffff, 2);
    rtp.writeUInt32BE((1600 + p.ts) >>> 0, 4);
    rtp.writeUInt32BE(ssrc, 8);
    const udpLen = 8 + 12 + p.payload.length;
    const frame = Buffer.alloc(14 + 20 + udpLen);
    frame.writeUInt16BE(0x0800, 12); // IPv4
    frame[14] = 0x45; // version 4, 5-word header
    frame.writeUInt16BE(20 + udpLen, 16);
    frame[22] = 64; // TTL
    frame[23] = 17; // UDP
    frame.writeUInt32BE(0x7f000001, 26);
    frame.writeUInt32BE(0x7f000001, 30);
    frame.writeUInt16BE(6000, 34);
    frame.writeUInt16BE(6000, 36);
    frame.writeUInt16BE(udpLen, 38);
    rtp.copy(frame, 42);
    p.payload.copy(frame, 54);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.t / 1000), 0);
    rec.writeUInt32LE((p.t % 1000) * 1000, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    return Buffer.concat([rec, frame]);
  });
  return Buffer.concat([globalHeader, ...records]);
}

// ---------------------------------------------------------------------------------------------
// Agent phone

export interface AgentPhoneOptions {
  port?: number;
  /** How many INVITEs (dialogs) to handle before exiting. */
  calls: number;
  /** Ring this long after 180, then 200 OK (default 100). A CANCEL meanwhile is handled. */
  answerAfterMs?: number;
  /** Send 180 and never answer: expect CANCEL, reply 200 + 487, take the ACK. */
  noAnswer?: boolean;
  /** After the ACK, send BYE after this long; otherwise wait up to 5 min for Asterisk's BYE (then fail). */
  hangupAfterMs?: number;
  /** Count the call as failed when the INVITE's From user is not this (the call still runs its course). */
  expectFromUser?: string;
  /** Count the call as failed when the INVITE's From display name is not this (quoted or not). */
  expectFromName?: string;
  /** Echo received RTP back to its sender (-rtp_echo). */
  rtpEcho?: boolean;
  /** Advertise this RTP port (a test's RtpPeer) in the answer's SDP instead of sipp's own. */
  mediaPort?: number;
  /** Blind transfer from the phone: REFER to this user part (a queue extension, an agent id, an extension) after referAfterMs. */
  referTo?: string;
  referAfterMs?: number;
  /** Global safety for the sipp process (default 6 min). */
  lifetimeMs?: number;
}

export function startAgentPhone(o: AgentPhoneOptions): SippProcess {
  const dir = newWorkDir('agent');
  const port = o.port ?? allocatePort();
  const answerAfterMs = o.answerAfterMs ?? 100;
  const hangup = o.hangupAfterMs !== undefined;
  const refer = o.referTo !== undefined;

  const checks: string[] = [];
  // The From header Asterisk sends: "Sales" <sip:+15551230001@127.0.0.1>;tag=...
  if (o.expectFromUser !== undefined) checks.push(`<sips?:${ereLiteral(o.expectFromUser)}@`);
  if (o.expectFromName !== undefined) checks.push(`(^|[[:space:]])("${ereLiteral(o.expectFromName)}"|${ereLiteral(o.expectFromName)})[[:space:]]*<`);
  const actions = [
    // "_" is the one variable sipp lets us assign without reading it back.
    ...checks.map((re) => `<ereg regexp="${xmlAttr(re)}" search_in="hdr" header="From:" check_it="true" assign_to="_"/>`),
    // A BYE from the UAS side swaps From and To, so keep the INVITE's headers.
    ...(hangup || refer ? ['<ereg regexp="[^[:space:]].*" search_in="hdr" header="From:" assign_to="remote"/>', '<ereg regexp="[^[:space:]].*" search_in="hdr" header="To:" assign_to="local"/>'] : []),
  ];
  const tag = ';tag=[pid]SIPpTag01[call_number]';
  const ringing = send(`SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:]${tag}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0`);
  const cancelled = `${okNoBody()}
${send(`SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:]${tag}
[last_Call-ID:]
CSeq: [last_cseq_number] INVITE
Content-Length: 0`)}
  <recv request="ACK" next="done"/>`;

  const hangupBlock = `  <label id="hangup"/>
${send(
  `BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: [$local]${tag}
To: [$remote]
Call-ID: [call_id]
CSeq: 1 BYE
Max-Forwards: 70
Content-Length: 0`,
  ' retrans="500"',
)}
  <recv response="200" next="done"/>`;
  // REFER from the phone, then Asterisk's NOTIFYs (transfer progress) until its BYE.
  const referBlock = refer ? `  <label id="refer"/>
${send(
  `REFER [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
[routes]
From: [$local]${tag}
To: [$remote]
Call-ID: [call_id]
CSeq: 1 REFER
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Refer-To: <sip:${cdataSafe(o.referTo!, 'referTo')}@[local_ip]>
Referred-By: <sip:phone@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0`,
  ' retrans="500"',
)}
  <recv response="202"/>
  <label id="referwait"/>
  <recv request="NOTIFY" optional="true" next="notify"/>
  <recv request="BYE" next="farbye"/>
  <label id="notify"/>
${okNoBody(' next="referwait"')}` : '';
  // A CANCEL while ringing falls through into the `cancelled` block; the ring timeout jumps past it.
  const body = o.noAnswer
    ? `  <recv request="CANCEL" timeout="${BYE_WAIT_MS}"/>
${cancelled}`
    : `${answerAfterMs > 0 ? `  <recv request="CANCEL" timeout="${Math.round(answerAfterMs)}" ontimeout="answer"/>\n${cancelled}\n` : ''}  <label id="answer"/>
${okWithSdp(tag, o.mediaPort)}
  <recv request="ACK"/>
${talkPhase(refer ? o.referAfterMs ?? 1000 : o.hangupAfterMs ?? BYE_WAIT_MS, refer ? 'refer' : hangup ? 'hangup' : undefined, o.mediaPort)}
${hangup && !refer ? hangupBlock : ''}
${referBlock}
  <label id="farbye"/>
${okNoBody()}`;
  const xml = scenario(
    'acd agent phone',
    `  <recv request="INVITE" rrs="true">${actions.length ? `\n    <action>\n      ${actions.join('\n      ')}\n    </action>\n  ` : ''}</recv>
${ringing}
${body}
  <label id="done"/>`,
  );
  const file = path.join(dir, 'agent.xml');
  fs.writeFileSync(file, xml);
  return new SippProcess('agent', dir, port, ['-sf', file, '-m', String(o.calls), ...(o.rtpEcho ? ['-rtp_echo'] : [])], o.lifetimeMs ?? BYE_WAIT_MS + 60_000);
}

// ---------------------------------------------------------------------------------------------
// Registration

export interface RegisterOptions {
  user: string;
  password: string;
  /** Local port: run startAgentPhone on the same port afterwards so a rewritten contact still reaches it. */
  port: number;
  asteriskPort?: number;
  /** 0 unregisters. Default 3600. */
  expires?: number;
  lifetimeMs?: number; // default 15 s
}

/** REGISTER (answering a digest challenge if one comes); rejects unless it ends in 200 OK. */
export async function registerPhone(o: RegisterOptions): Promise<SippResult> {
  const dir = newWorkDir('register');
  const user = cdataSafe(o.user, 'user');
  const password = cdataSafe(o.password, 'password');
  if (/\s/.test(password)) throw new Error('password must not contain white space (sipp [authentication] keyword)');
  const register = (cseq: number, auth: string) => `REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:${user}@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:${user}@[remote_ip]>
Call-ID: [call_id]
CSeq: ${cseq} REGISTER
Contact: <sip:${user}@[local_ip]:[local_port]>
${auth}Expires: ${o.expires ?? 3600}
Max-Forwards: 70
Content-Length: 0`;
  const xml = scenario(
    'acd register',
    `${send(register(1, ''), ' retrans="500"')}
  <recv response="200" optional="true" next="done"/>
  <recv response="401" auth="true"/>
${send(register(2, `[authentication username=${user} password=${password}]\n`), ' retrans="500"')}
  <recv response="200"/>
  <label id="done"/>`,
  );
  const file = path.join(dir, 'register.xml');
  fs.writeFileSync(file, xml);
  const p = new SippProcess('register', dir, o.port, [`${LOCAL_IP}:${o.asteriskPort ?? DEFAULT_ASTERISK_PORT}`, '-sf', file, '-m', '1'], o.lifetimeMs ?? 15_000);
  const r = await p.wait();
  if (r.code !== 0 || r.successful !== 1) {
    throw new Error(`REGISTER ${user} from port ${o.port} failed (exit ${r.code ?? r.signal}):\n${r.errors}${r.stderr}${r.messages.slice(-2000)}`);
  }
  return r;
}
