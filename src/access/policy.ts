import { Forbidden } from '../errors';
import type { Registry } from '../registry/registry';
import type { Permission } from './permissions';
import type { Principal } from './users';

/**
 * Who may see and act on which queue and agent. A supervisor with limitToAssignedQueues (the
 * default) reaches only the queues they supervise and the agents assigned to them; an agent only
 * itself and its own queues; an admin everything.
 */
export class AccessPolicy {
  /** The queues each agent is logged in to (agent.state events carry them): an agent's scope includes them. */
  private readonly loggedIn = new Map<string, string[]>();

  constructor(private readonly registry: Registry) {}

  /** The agents assigned to each campaign (campaign.updated events carry them): an agent receives its campaigns' events. */
  private readonly campaignAgents = new Map<string, string[]>();

  noteCampaignAgents(campaignId: string, agents: string[] | null): void {
    if (agents) this.campaignAgents.set(campaignId, agents); else this.campaignAgents.delete(campaignId);
  }

  /** Kept current from the event stream (and loaded at start): see canQueue. */
  noteLoggedIn(agentId: string, queues: string[]): void {
    if (queues.length) this.loggedIn.set(agentId, queues); else this.loggedIn.delete(agentId);
  }

  /** Agents: the queues they are assigned to or logged in to (an unassigned login included). */
  canQueue(p: Principal, queueId: string): boolean {
    if (p.role === 'admin') return true;
    if (p.role === 'agent') {
      return Boolean(p.agentId && (this.registry.findAgent(p.agentId)?.queues.includes(queueId) || this.loggedIn.get(p.agentId)?.includes(queueId)));
    }
    return !p.permissions.limitToAssignedQueues || p.supervisedQueues.includes(queueId);
  }

  /**
   * A monitoring session (GET, PATCH, DELETE /monitors/{id}, and monitor.* events) is scoped like the
   * monitored call, from what the session recorded — the call's queue and agent — so it holds whether
   * or not the call is still connected. Never an agent: not even the monitored one.
   */
  canMonitor(p: Principal, m: { queueId?: string | null; agentId?: string | null }): boolean {
    if (p.role === 'admin') return true;
    if (p.role === 'agent' || !m.queueId || !this.canQueue(p, m.queueId)) return false;
    const agent = m.agentId ? this.registry.findAgent(m.agentId) : undefined;
    return !agent?.protected || p.permissions.monitorProtected;
  }

  monitor(p: Principal, m: { queueId?: string | null; agentId?: string | null }): void {
    if (!this.canMonitor(p, m)) throw new Forbidden('not a monitoring session you may reach');
  }

  /** A clip: staff see every one; an agent public clips and its own (GET /clips). */
  static canClip(p: Principal, c: { scope?: unknown; ownerAgentId?: unknown }): boolean {
    return p.role !== 'agent' || c.scope === 'public' || (Boolean(p.agentId) && c.ownerAgentId === p.agentId);
  }

  /**
   * Whether this user's WebSocket gets this event: exactly when the user may read the same thing over
   * REST, through the same checks the routes use (canQueue, canAgent, canMonitor, canClip, the admin
   * role for users and tokens). An event of a type not listed here goes to admins only: a new event
   * type leaks nothing until it is scoped.
   */
  mayReceive(p: Principal, e: { type: string; [field: string]: unknown }): boolean {
    if (p.role === 'admin') return true;
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    const queueId = str(e.queueId);
    // an agent's own calls: offered to it, taken, transferred away from it (ring-all: among `agents`)
    const own = p.role === 'agent' && Boolean(p.agentId)
      && ([e.agentId, e.fromAgentId, e.preferredAgentId].includes(p.agentId) || (Array.isArray(e.agents) && e.agents.includes(p.agentId)));
    const [family] = e.type.split('.');
    switch (family) {
      case 'token': case 'registry': return false;                            // /users: admins only
      case 'monitor': return this.canMonitor(p, { queueId, agentId: str(e.agentId) });  // /monitors/{id}
      case 'agent': return Boolean(str(e.agentId)) && this.canAgent(p, String(e.agentId)); // /agents/{id}
      case 'clip': return AccessPolicy.canClip(p, { scope: e.scope, ownerAgentId: e.ownerAgentId });                         // /clips/{id}
      case 'recording':                                                        // /recordings/{id}; the call's own agent
        return own || (p.permissions.accessRecordings && Boolean(queueId) && this.canQueue(p, queueId!));
      case 'campaign':                                                         // /campaigns/{id}: staff all, an agent its assigned campaigns
        if (p.role !== 'agent') return true;
        return Boolean(p.agentId && str(e.campaignId) && this.campaignAgents.get(String(e.campaignId))?.includes(p.agentId));
      case 'call': case 'callback': case 'metrics':                            // /queues/{id}/stats, /callbacks/{id}; one's own calls
        return own || (Boolean(queueId) && this.canQueue(p, queueId!));
      default: return false;
    }
  }

  canAgent(p: Principal, agentId: string): boolean {
    if (p.role === 'admin') return true;
    if (p.role === 'agent') return p.agentId === agentId;
    if (!p.permissions.limitToAssignedQueues) return true;
    const agent = this.registry.findAgent(agentId);
    return Boolean(agent?.queues.some((q) => p.supervisedQueues.includes(q)));
  }

  queue(p: Principal, queueId: string): void {
    if (!this.canQueue(p, queueId)) throw new Forbidden(`no access to queue ${queueId}`);
  }

  agent(p: Principal, agentId: string): void {
    if (!this.canAgent(p, agentId)) {
      throw new Forbidden(p.role === 'agent' ? `an agent token may act only on agent ${p.agentId}` : `agent ${agentId} is not in a queue you supervise`);
    }
  }

  permission(p: Principal, perm: Permission): void {
    if (!p.permissions[perm]) throw new Forbidden(`this needs the ${perm} permission`);
  }
}
