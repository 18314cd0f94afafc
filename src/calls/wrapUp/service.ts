import type { Principal } from '../../access/users';
import { Conflict, Forbidden } from '../../errors';
import type { Registry } from '../../registry/registry';
import type { AgentState, StateStore } from '../../state/store';

/**
 * After-call work. An agent's part in a call ends (call_release, call_transfer, call_park,
 * consult_complete, callback_attempt_end in state/lua, all through agent_after_call in _lib.lua)
 * with the wrap-up wrapUpFor gives; its deadline is a Redis timer of kind 'wrapup' that any
 * controller fires (WrapUpFeature.timers). Here: extending and ending it on request.
 */
export class WrapUpService {
  constructor(private readonly registry: Registry, private readonly state: StateStore) {}

  /** More after-call work. Agents may when their last call's queue allows it; supervisors always. */
  async extend(user: Principal, agentId: string): Promise<AgentState> {
    this.registry.agent(agentId);
    await this.mayChange(user, agentId, 'agentsMayExtend');
    const r = await this.state.wrapupExtend(agentId);
    if (!r.ok) throw new Conflict(r.code, r.code === 'WRAPUP_MAX' ? 'the wrap-up is at its maximum' : 'the agent is not in wrap-up');
    return this.state.agentState(agentId);
  }

  /** End the after-call work now: the agent is ready at once. */
  async end(user: Principal, agentId: string): Promise<AgentState> {
    this.registry.agent(agentId);
    await this.mayChange(user, agentId, 'agentsMayEnd');
    const r = await this.state.wrapupEnd(agentId);
    if (!r.ok) throw new Conflict(r.code, 'the agent is not in wrap-up');
    return this.state.agentState(agentId);
  }

  /** The wrap-up's deadline came (timer wrapup|<agentId>|<token>): the agent is ready, unless the token is stale. */
  async deadline(agentId: string, token: string): Promise<void> {
    await this.state.wrapupEnd(agentId, token, true);
  }

  private async mayChange(user: Principal, agentId: string, setting: 'agentsMayEnd' | 'agentsMayExtend'): Promise<void> {
    if (user.role !== 'agent') return;
    const st = await this.state.agentState(agentId);
    const queue = st.wrapUpQueue ? this.registry.findQueue(st.wrapUpQueue) : undefined;
    if (queue && !queue.wrapUp[setting]) {
      throw new Forbidden(`queue ${queue.id} does not let agents ${setting === 'agentsMayEnd' ? 'end' : 'extend'} their wrap-up`);
    }
  }
}
