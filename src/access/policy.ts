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
  constructor(private readonly registry: Registry) {}

  canQueue(p: Principal, queueId: string): boolean {
    if (p.role === 'admin') return true;
    if (p.role === 'agent') return Boolean(p.agentId && this.registry.findAgent(p.agentId)?.queues.includes(queueId));
    return !p.permissions.limitToAssignedQueues || p.supervisedQueues.includes(queueId);
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
