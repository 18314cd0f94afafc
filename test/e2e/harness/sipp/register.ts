// REGISTER from a phone, answering a digest challenge.
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_ASTERISK_PORT, LOCAL_IP, SippProcess, SippResult, newWorkDir } from './process';
import { cdataSafe, scenario, send } from './scenario';

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
