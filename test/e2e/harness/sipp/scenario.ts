// Scenario XML building blocks: escaping, the <scenario> wrapper, <send> steps, the answers and the
// talk phase both roles share. Every number is written into the XML (SIPp 3.6.1 does not honour -set
// variables in <pause>).
import { sdp } from './sdp';

// Values go verbatim into CDATA message templates, so sipp keywords such as [call_number] work.
export function cdataSafe(value: string, what: string): string {
  if (/[\r\n"]|]]>/.test(value)) throw new Error(`${what} must not contain CR, LF, '"' or ']]>': ${JSON.stringify(value)}`);
  return value;
}

export function xmlAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** POSIX extended regex (sipp uses regcomp(REG_EXTENDED)) matching the literal text. */
export function ereLiteral(value: string): string {
  // Inside a bracket expression every special character but '^' is literal.
  return value.replace(/[.[\]()*+?{}|$\\]/g, (c) => `[${c}]`).replace(/\^/g, '\\^');
}

export function scenario(name: string, body: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="${name}">\n${body}\n</scenario>\n`;
}

export const send = (msg: string, attrs = '') => `  <send${attrs}><![CDATA[\n${msg.trim().replace(/^ */gm, '      ')}\n  ]]></send>`;

/** 200 OK with our SDP to the last received INVITE (initial or re-INVITE). */
export function okWithSdp(toSuffix: string, mediaPort?: number): string {
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

export function okNoBody(attrs = ''): string {
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
export function talkPhase(timeoutMs: number, onTimeout: string | undefined, mediaPort?: number): string {
  const timeout = ` timeout="${Math.max(1, Math.round(timeoutMs))}"${onTimeout ? ` ontimeout="${onTimeout}"` : ''}`;
  return `  <label id="talk"/>
  <recv request="INVITE" optional="true"${timeout} next="reinvite"/>
  <recv request="BYE" next="farbye"/>
  <label id="reinvite"/>
${okWithSdp('', mediaPort)}
  <recv request="ACK" next="talk"/>`;
}
