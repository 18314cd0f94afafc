// The caller scenario: INVITE into Asterisk, talk, hang up (or take the far end's BYE).
import * as fs from 'fs';
import * as path from 'path';
import { allocatePort } from '../ports';
import { RtpPeer } from '../rtpPeer';
import { dtmfPcap } from './audio';
import { DEFAULT_ASTERISK_PORT, LOCAL_IP, SippProcess, newWorkDir } from './process';
import { cdataSafe, okNoBody, scenario, send, talkPhase, xmlAttr } from './scenario';
import { sdp } from './sdp';

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
  const caller = new SippProcess('caller', dir, port, [
    `${LOCAL_IP}:${o.asteriskPort ?? DEFAULT_ASTERISK_PORT}`,
    '-sf', file,
    '-m', String(calls),
    '-l', String(calls), // sipp's default limit derives from -d, which we do not use
    '-r', '1', '-rp', String(rateMs),
  ], lifetimeMs);
  // the test's RtpPeer behind the advertised port talks as soon as the call is answered
  RtpPeer.on(o.mediaPort)?.talkWith(caller);
  return caller;
}
