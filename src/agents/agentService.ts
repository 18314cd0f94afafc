import { z } from 'zod';
import type { PauseReason } from '../config/schema';
import { parseOrThrow } from '../validation/parse';
import { AcdError, Conflict, Invalid } from '../errors';
import type { Registry } from '../registry/registry';
import type { AgentState, Outcome, StateStore } from '../state/store';

export const QueuesBody = z.object({ queues: z.array(z.string()).min(1).max(200).optional() }).strict();
export const PauseBody = z.object({
  reason: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i, 'a reason code: letters, digits, "-", "_", at most 40'),
  /** Pause only in these queues; the agent keeps taking calls from its others. */
  queues: z.array(z.string()).min(1).max(200).optional(),
}).strict();

const WRONG_STATE: Record<string, string> = {
  AGENT_LOGGED_OUT: 'the agent is logged out',
  AGENT_BUSY: 'the agent is ringing or on a call',
  AGENT_IN_WRAPUP: 'the agent is in wrap-up: end it (wrapup/end) first',
  NOT_LOGGED_IN_QUEUE: 'the agent is not logged in to one of those queues',
};

/** Agent state changes requested by agents or supervisors: login, logout, ready, pause (wrap-up: calls/wrapUp). */
export class AgentService {
  constructor(private readonly registry: Registry, private readonly state: StateStore) {}

  /**
   * Logs in to the assigned queues, or to the ones named. A queue the agent is not assigned to is
   * allowed only while the organisation setting allowUnassignedQueueLogin is on (read now, from Redis:
   * another controller's change applies at once). Such a login is a membership in Redis, not an
   * assignment: it lasts until the agent or a supervisor logs it out, even if the setting goes off.
   */
  async login(agentId: string, body: unknown): Promise<AgentState> {
    const agent = this.registry.agent(agentId);
    const queues = this.queuesOf(agentId, body);
    const unassigned = queues.filter((q) => !agent.queues.includes(q));
    if (unassigned.length && !(await this.registry.settings()).allowUnassignedQueueLogin) {
      throw new AcdError(422, 'QUEUE_NOT_ASSIGNED',
        `agent ${agentId} is not assigned to ${unassigned.join(', ')}, and logging in to other queues is not allowed (setting allowUnassignedQueueLogin)`,
        { queues: unassigned });
    }
    this.done(await this.state.agentLogin(agentId, queues));
    return this.state.agentState(agentId);
  }

  async logout(agentId: string, body: unknown): Promise<AgentState> {
    this.registry.agent(agentId);
    // any queue the agent is logged in to, assigned or not (an unassigned login ends here)
    const queues = body && Object.keys(body).length ? this.queuesOf(agentId, body) : [];
    this.done(await this.state.agentLogout(agentId, queues));
    return this.state.agentState(agentId);
  }

  async ready(agentId: string, body: unknown = {}): Promise<AgentState> {
    this.registry.agent(agentId);
    const queues = body && Object.keys(body).length ? this.queuesOf(agentId, body) : [];
    this.done(await this.state.agentReady(agentId, queues));
    return this.state.agentState(agentId);
  }

  async pause(agentId: string, body: unknown): Promise<AgentState> {
    this.registry.agent(agentId);
    const parsed = { data: parseOrThrow(PauseBody, body, 'pause request') };
    const reasons = await this.state.registryAll<PauseReason>('pauseReasons');
    if (!reasons.some((r) => r.code === parsed.data.reason)) {
      throw new AcdError(422, 'UNKNOWN_PAUSE_REASON', `no pause reason ${parsed.data.reason}`, { allowed: reasons.map((r) => r.code).sort() });
    }
    const queues = parsed.data.queues ? this.queuesOf(agentId, { queues: parsed.data.queues }) : [];
    this.done(await this.state.agentPause(agentId, parsed.data.reason, queues));
    return this.state.agentState(agentId);
  }

  /**
   * The queues a request names, or all the agent's assigned queues; each must exist. Whether the
   * agent may log in to one it is not assigned to is login's question; pausing, readying or logging
   * out of a queue the agent is logged in to (assigned or not) is for the state to judge.
   */
  private queuesOf(agentId: string, body: unknown): string[] {
    const agent = this.registry.agent(agentId);
    const parsed = { data: parseOrThrow(QueuesBody, body, 'queue list') };
    const queues = parsed.data.queues ?? agent.queues;
    const unknown = queues.filter((q) => !this.registry.findQueue(q));
    if (unknown.length) throw new Invalid(`unknown queues: ${unknown.join(', ')}`, { queues: unknown });
    if (!queues.length) throw new Invalid(`agent ${agentId} is assigned to no queue`);
    return queues;
  }

  private done(r: Outcome<unknown>): void {
    if (!r.ok) throw new Conflict(r.code, WRONG_STATE[r.code] ?? r.code);
  }
}
