// The agent phone scenario: a UAS that rings, answers (or not), talks, and may hang up or REFER.
import * as fs from 'fs';
import * as path from 'path';
import { allocatePort } from '../ports';
import { RtpPeer } from '../rtpPeer';
import { SippProcess, newWorkDir } from './process';
import { cdataSafe, ereLiteral, okNoBody, okWithSdp, scenario, send, talkPhase, xmlAttr } from './scenario';

const BYE_WAIT_MS = 5 * 60_000;

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
  const phone = new SippProcess('agent', dir, port, ['-sf', file, '-m', String(o.calls), ...(o.rtpEcho ? ['-rtp_echo'] : [])], o.lifetimeMs ?? BYE_WAIT_MS + 60_000);
  // the test's RtpPeer behind the advertised port talks as soon as a call is answered
  RtpPeer.on(o.mediaPort)?.talkWith(phone);
  return phone;
}
