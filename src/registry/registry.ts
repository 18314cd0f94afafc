import { Agent, AgentSchema, FileConfig, Queue, describeIssues } from '../config/schema';
import { Conflict, Invalid, NotFound } from '../errors';
import type { AcdEvent } from '../events/bus';
import type { Logger } from '../logger';
import type { StateStore, WrapUp } from '../state/store';

/**
 * Queue and agent definitions. Redis holds them (shared by every controller); this keeps a copy in
 * memory, refreshed by `registry.changed` events from the stream, so call handling never waits on it.
 * The config file seeds Redis on first start; from then on Redis (and the API) is the truth.
 */
export class Registry {
  private queues = new Map<string, Queue>();
  private byExtension = new Map<string, Queue>();
  private agents = new Map<string, Agent>();
  /** Called after an agent is created, replaced or deleted (phone provisioning listens). */
  onAgentChanged: (id: string, agent: Agent | undefined) => Promise<void> = async () => {};

  constructor(private readonly state: StateStore, private readonly log: Logger) {}

  async seed(file: FileConfig): Promise<void> {
    for (const q of file.queues) {
      const r = await this.state.registryPut('queues', q.id, q, 'seed');
      if (!r.ok) this.log.info('queue from the config file already in Redis: kept the stored one', { queueId: q.id });
    }
    for (const p of file.pauseReasons) await this.state.registryPut('pauseReasons', p.code, p, 'seed');
    for (const a of file.agents) {
      const r = await this.state.registryPut('agents', a.id, a, 'seed');
      if (!r.ok) this.log.info('agent from the config file already in Redis: kept the stored one', { agentId: a.id });
    }
    await this.reload();
  }

  async reload(): Promise<void> {
    const [queues, agents] = await Promise.all([this.state.registryAll<Queue>('queues'), this.state.registryAll<Agent>('agents')]);
    this.queues = new Map(queues.map((q) => [q.id, q]));
    this.byExtension = new Map(queues.map((q) => [q.extension, q]));
    this.agents = new Map(agents.map((a) => [a.id, a]));
  }

  /** Keeps the copy current when any controller (or this one) changes the registry. */
  async onEvent(e: AcdEvent): Promise<void> {
    if (e.type !== 'registry.changed') return;
    const kind = e.kind as string;
    const id = String(e.id);
    if (kind === 'queues') {
      await this.reload();
      return;
    }
    // users and pause reasons share the event; they are not agents (an id may be the same)
    if (kind !== 'agents') return;
    const a = await this.state.registryGet<Agent>('agents', id);
    if (a) this.agents.set(id, a); else this.agents.delete(id);
    await this.onAgentChanged(id, a);
  }

  listQueues(): Queue[] { return [...this.queues.values()].sort((a, b) => a.id.localeCompare(b.id)); }
  findQueue(id: string): Queue | undefined { return this.queues.get(id); }
  queue(id: string): Queue {
    const q = this.queues.get(id);
    if (!q) throw new NotFound('queue', id);
    return q;
  }
  queueByExtension(ext: string): Queue | undefined { return this.byExtension.get(ext); }

  /** The after-call work a call of this queue gives this agent (the agent's override wins). */
  wrapUpFor(queueId: string, agentId: string): WrapUp {
    const w = this.queues.get(queueId)?.wrapUp;
    const sec = this.agents.get(agentId)?.wrapUpSec ?? w?.sec ?? 0;
    return { ms: sec * 1000, maxMs: (w?.maxSec ?? 0) * 1000, stepMs: (w?.extendStepSec ?? 0) * 1000 };
  }

  listAgents(): Agent[] { return [...this.agents.values()].sort((a, b) => a.id.localeCompare(b.id)); }
  findAgent(id: string): Agent | undefined { return this.agents.get(id); }
  agent(id: string): Agent {
    const a = this.agents.get(id);
    if (!a) throw new NotFound('agent', id);
    return a;
  }

  async createAgent(input: unknown): Promise<Agent> {
    const agent = this.validateAgent(input);
    const r = await this.state.registryPut('agents', agent.id, agent, 'create');
    if (!r.ok) throw new Conflict('AGENT_EXISTS', `agent ${agent.id} already exists`);
    this.agents.set(agent.id, agent);
    await this.onAgentChanged(agent.id, agent);
    return agent;
  }

  async replaceAgent(id: string, input: unknown): Promise<Agent> {
    this.agent(id);
    const agent = this.validateAgent({ ...(input as object), id });
    await this.state.registryPut('agents', id, agent, 'replace');
    this.agents.set(id, agent);
    await this.onAgentChanged(id, agent);
    return agent;
  }

  async deleteAgent(id: string): Promise<void> {
    this.agent(id);
    const r = await this.state.registryDelete('agents', id);
    if (!r.ok && r.code === 'AGENT_LOGGED_IN') throw new Conflict('AGENT_LOGGED_IN', `agent ${id} is logged in: log it out first`);
    this.agents.delete(id);
    await this.onAgentChanged(id, undefined);
  }

  private validateAgent(input: unknown): Agent {
    const parsed = AgentSchema.safeParse(input);
    if (!parsed.success) {
      throw new Invalid('invalid agent', describeIssues(parsed.error));
    }
    const unknown = parsed.data.queues.filter((q) => !this.queues.has(q));
    if (unknown.length) throw new Invalid(`unknown queues: ${unknown.join(', ')}`, { queues: unknown });
    return parsed.data;
  }
}
