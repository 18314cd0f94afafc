// SIPp processes: a work folder per process, spawning /usr/bin/sipp on 127.0.0.1 with its own SIP
// port, message/error traces and statistics file, and reading the result when it exits.
// A global -timeout bounds every process, and any sipp still running when Node exits is killed.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { allocatePort } from '../ports';
import { TracedMessage, header, parseTrace } from './trace';

const SIPP = process.env.SIPP_BIN ?? '/usr/bin/sipp';
export const LOCAL_IP = '127.0.0.1';
export const DEFAULT_ASTERISK_PORT = 5060;

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

let rootDir: string | undefined;
let seq = 0;
const live = new Set<ChildProcess>();

export function newWorkDir(kind: string): string {
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

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The c= address and m=audio port of an SDP body, if the message has one. */
function sdpMedia(message: string): { address: string; port: number } | undefined {
  const body = message.split(/\r?\n\r?\n/).slice(1).join('\n');
  const port = /^m=audio (\d+) /m.exec(body)?.[1];
  const address = /^c=IN IP4 (\S+)/m.exec(body)?.[1];
  return port && address ? { address, port: Number(port) } : undefined;
}

/** The far end's media of the latest 200 OK to an INVITE in a trace (see SippProcess.farMedia). */
function farMediaOf(messages: TracedMessage[]): { address: string; port: number } | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m.text.startsWith('SIP/2.0 200') || !/INVITE/i.test(header(m.text, 'CSeq') ?? '')) continue;
    if (m.direction === 'received') return sdpMedia(m.text);
    // we answered: the offer is in the INVITE of that dialog we received before
    const callId = header(m.text, 'Call-ID', 'i');
    for (let j = i - 1; j >= 0; j--) {
      const o = messages[j];
      if (o.direction === 'received' && o.text.startsWith('INVITE ') && header(o.text, 'Call-ID', 'i') === callId) return sdpMedia(o.text);
    }
    return undefined;
  }
  return undefined;
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

  /**
   * Where the far end (Asterisk) takes this phone's media in its latest established call: the SDP it
   * sent in the 200 OK to our INVITE, or in the INVITE we answered with 200. A real phone sends RTP
   * there from the moment the call is up, whatever it hears.
   */
  farMedia(): { address: string; port: number } | undefined {
    const size = fileSize(this.file('messages.log'));
    if (size !== this.farMediaAt.size) this.farMediaAt = { size, media: farMediaOf(parseTrace(this.messages())) };
    return this.farMediaAt.media;
  }
  private farMediaAt: { size: number; media?: { address: string; port: number } } = { size: -1 };

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
