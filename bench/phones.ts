// The agents' phones: one auto-answering sipp UAS process per pool, shared by all agents of the pool
// (each agent's PJSIP contact is sip:<agent id>@127.0.0.1:<pool port>). The same processes, on the
// same ports, serve both systems: they are started once and stopped at the end of the run.
import { SippProcess, startAgentPhone } from '../test/e2e/harness/sipp';
import type { Params } from './params';
import { TraceCursor } from './traces';

export interface PhonePool {
  name: string;
  agentIds: string[];
  phone: SippProcess;
  trace: TraceCursor;
  talkMs: number;
}

export interface Phones { routing: PhonePool; handover: PhonePool; ramp: PhonePool }

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `bench-${prefix}${String(i + 1).padStart(3, '0')}`);

function pool(name: string, agentIds: string[], talkMs: number, p: Params): PhonePool {
  const phone = startAgentPhone({
    calls: 1_000_000, // never the reason it stops: stopped at the end of the run
    answerAfterMs: p.answerAfterMs,
    hangupAfterMs: talkMs, // the agent ends every call: that BYE is where a hand-over starts
    lifetimeMs: p.runLimitMs,
  });
  return { name, agentIds, phone, trace: new TraceCursor(phone), talkMs };
}

export function startPhones(p: Params): Phones {
  return {
    routing: pool('routing', ids('r', p.routing.agents), p.routing.talkMs, p),
    handover: pool('handover', ids('h', 1), p.handover.talkMs, p),
    // the overload workload uses the first agents of this pool
    ramp: pool('ramp', ids('s', Math.max(p.ramp.agents, p.overload.agents)), p.ramp.talkMs, p),
  };
}

export function contactOf(pool: PhonePool, agentId: string): string {
  return `sip:${agentId}@127.0.0.1:${pool.phone.port}`;
}

export async function stopPhones(phones: Phones): Promise<void> {
  await Promise.all([phones.routing, phones.handover, phones.ramp].map((p) => p.phone.stop()));
}
