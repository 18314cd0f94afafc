import { Agent, AgentSchema, FileConfig, Queue, QueueSchema, Settings, SettingsSchema, describeIssues } from '../config/schema';
import { AcdError, Conflict, Invalid, NotFound } from '../errors';
import type { AcdEvent } from '../events/bus';
import type { Logger } from '../logger';
import type { StateStore } from '../state/store';
import { TypedEmitter } from '../events/typedEmitter';

/**
 * Queue and agent definitions. Redis holds them (shared by every controller); this keeps a copy in
 * memory, refreshed by `registry.changed` events from the stream, so call handling never waits on it.
 * The config file seeds Redis on first start; from then on Redis (and the API) is the truth.
 */
export class Registry {
  private queues = new Map<string, Queue>();
  private byExtension = new Map<string, Queue>();
  private agents = new Map<string, Agent>();
  private readonly agentChanges = new Map<string, Promise<void>>();
  /**
   * 'agentChanged' (id, agent or undefined when deleted) after an agent is created, replaced or
   * deleted: phone provisioning listens; the change waits for its listeners.
   */
  readonly changes = new TypedEmitter<{ agentChanged: [string, Agent | undefined] }>();

  constructor(private readonly state: StateStore, private readonly log: Logger) {}

  async seed(file: FileConfig): Promise<void> {
    // settings, like the rest, come from the file only on the first start: afterwards Redis (and /settings) decides
    await this.state.settingsPut(file.settings, 'seed');
    for (const q of file.queues) {
      const r = await this.state.registryPut('queues', q.id, q, 'seed');
      if (r.ok) continue;
      if (r.code === 'KEPT') this.log.info('queue from the config file already in Redis: kept the stored one', { queueId: q.id });
      else if (r.code === 'DELETED') this.log.info('queue from the config file was deleted through the API: not recreated', { queueId: q.id });
      else this.log.warn('queue from the config file not loaded: its extension belongs to another queue in Redis', { queueId: q.id, extension: q.extension });
    }
    for (const p of file.pauseReasons) await this.state.registryPut('pauseReasons', p.code, p, 'seed');
    for (const a of file.agents) {
      const r = await this.state.registryPut('agents', a.id, a, 'seed');
      if (!r.ok) this.log.info('agent from the config file already in Redis: kept the stored one', { agentId: a.id });
    }
    await this.reload();
    for (const q of this.queues.values()) {
      if (q.overflow?.kind === 'queue' && !this.queues.has(q.overflow.queueId)) {
        this.log.warn('queue overflows to a queue that does not exist', { queueId: q.id, overflowQueueId: q.overflow.queueId });
      }
    }
  }

  async reload(): Promise<void> {
    const [, agents] = await Promise.all([this.reloadQueues(), this.state.registryAll<Agent>('agents')]);
    this.agents = new Map(agents.map((a) => [a.id, a]));
  }

  /** Queues only: agents change one by one through onEvent, which also (re)provisions their phones. */
  private async reloadQueues(): Promise<void> {
    const queues = await this.state.registryAll<Queue>('queues');
    this.queues = new Map(queues.map((q) => [q.id, q]));
    this.byExtension = new Map(queues.map((q) => [q.extension, q]));
  }

  /** Keeps the copy current when any controller (or this one) changes the registry. */
  async onEvent(e: AcdEvent): Promise<void> {
    if (e.type !== 'registry.changed') return;
    const kind = e.kind as string;
    // e.id is the stream entry's id; the definition's is definitionId
    const id = String(e.definitionId);
    if (kind === 'queues') {
      await this.reloadQueues();
      return;
    }
    // users and pause reasons share the event; they are not agents (an id may be the same)
    if (kind !== 'agents') return;
    await this.oneAtATime(id, async () => {
      const a = await this.state.registryGet<Agent>('agents', id);
      // this controller's own change is already applied (and its phone provisioned)
      const known = this.agents.get(id);
      if (a ? known && JSON.stringify(known) === JSON.stringify(a) : !known) return;
      if (a) this.agents.set(id, a); else this.agents.delete(id);
      await this.changes.emitAndWait('agentChanged', id, a);
    });
  }

  /**
   * Changes to one agent, from a request or from the event stream, one after the other: an event
   * arriving while this controller's own change is under way would otherwise provision or remove
   * the same phone concurrently.
   */
  private oneAtATime<T>(agentId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.agentChanges.get(agentId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    this.agentChanges.set(agentId, tail);
    void tail.then(() => { if (this.agentChanges.get(agentId) === tail) this.agentChanges.delete(agentId); });
    return run;
  }

  listQueues(): Queue[] { return [...this.queues.values()].sort((a, b) => a.id.localeCompare(b.id)); }
  findQueue(id: string): Queue | undefined { return this.queues.get(id); }
  queue(id: string): Queue {
    const q = this.queues.get(id);
    if (!q) throw new NotFound('queue', id);
    return q;
  }
  queueByExtension(ext: string): Queue | undefined { return this.byExtension.get(ext); }

  async createQueue(input: unknown): Promise<Queue> {
    const queue = this.validateQueue(input);
    await this.putQueue(queue, 'create');
    return queue;
  }

  /** Replaces the whole definition (omitted fields take their defaults); the id comes from the path. */
  async replaceQueue(id: string, input: unknown): Promise<Queue> {
    this.queue(id);
    const queue = this.validateQueue({ ...(input as object), id });
    await this.putQueue(queue, 'replace');
    return queue;
  }

  /** Only a queue nothing uses: no agent assigned or logged in, no caller or callback in it, no queue overflowing to it. */
  async deleteQueue(id: string): Promise<void> {
    this.queue(id);
    const usage = await this.queueUsage(id);
    if (usage) throw new Conflict('QUEUE_IN_USE', `queue ${id} is in use: ${usage.reasons.join('; ')}`, usage.details);
    const r = await this.state.registryDelete('queues', id);
    if (!r.ok && r.code === 'QUEUE_IN_USE') {
      // something started using it between our look and the delete
      throw new Conflict('QUEUE_IN_USE', `queue ${id} is in use`, (await this.queueUsage(id))?.details);
    }
    await this.reloadQueues();
  }

  private async putQueue(queue: Queue, mode: 'create' | 'replace'): Promise<void> {
    const r = await this.state.registryPut('queues', queue.id, queue, mode);
    if (!r.ok) {
      if (r.code === 'EXISTS') throw new Conflict('QUEUE_EXISTS', `queue ${queue.id} already exists`, { id: queue.id });
      if (r.code === 'EXTENSION_TAKEN') throw this.extensionTaken(queue);
      // the target was deleted between our check and the write
      throw new Invalid('invalid queue: overflow to a queue that does not exist', [{ path: 'overflow.queueId', message: 'unknown queue' }]);
    }
    // every controller reloads on registry.changed; this one at once, so the next request sees it
    await this.reloadQueues();
  }

  private extensionTaken(queue: Queue): AcdError {
    const other = this.listQueues().find((q) => q.id !== queue.id && q.extension === queue.extension);
    return new Conflict('EXTENSION_TAKEN', `extension ${queue.extension} belongs to queue ${other?.id ?? 'another queue'}`,
      { extension: queue.extension, queueId: other?.id ?? null });
  }

  /** What keeps a queue from being deleted, or undefined when nothing does. */
  private async queueUsage(id: string): Promise<{ reasons: string[]; details: Record<string, unknown> } | undefined> {
    const assigned = this.listAgents().filter((a) => a.queues.includes(id)).map((a) => a.id);
    const overflowFrom = this.listQueues().filter((q) => q.id !== id && q.overflow?.kind === 'queue' && q.overflow.queueId === id).map((q) => q.id);
    const [loggedIn, waiting, callbacks, parked] = await Promise.all([
      this.state.loggedInAgents(id).then((xs) => xs.sort()),
      this.state.waiting(id).then((xs) => xs.length),
      this.state.callbackIds().then((ids) => Promise.all(ids.map((cb) => this.state.call(cb))))
        .then((cbs) => cbs.filter((c) => c?.queueId === id && !['completed', 'cancelled'].includes(c.state) && c.state !== 'waiting').length),
      this.state.parkedCalls().then((ps) => Promise.all(ps.map((p) => this.state.call(p.callId))))
        .then((cs) => cs.filter((c) => c?.queueId === id).length),
    ]);
    const reasons: string[] = [];
    if (assigned.length) reasons.push(`agents assigned to it: ${assigned.join(', ')}`);
    if (loggedIn.length) reasons.push(`agents logged in to it: ${loggedIn.join(', ')}`);
    if (waiting) reasons.push(`${waiting} caller(s) or callback request(s) waiting`);
    if (callbacks) reasons.push(`${callbacks} callback request(s) scheduled or in progress`);
    if (parked) reasons.push(`${parked} parked call(s)`);
    if (overflowFrom.length) reasons.push(`queues overflow to it: ${overflowFrom.join(', ')}`);
    if (!reasons.length) return undefined;
    return { reasons, details: { assignedAgents: assigned, loggedInAgents: loggedIn, waiting, callbacks, parked, overflowFrom } };
  }

  private validateQueue(input: unknown): Queue {
    const parsed = QueueSchema.safeParse(input);
    if (!parsed.success) throw Registry.invalid('queue', describeIssues(parsed.error));
    const q = parsed.data;
    const problems: { path: string; message: string }[] = [];
    if (q.overflow?.kind === 'queue') {
      if (q.overflow.queueId === q.id) problems.push({ path: 'overflow.queueId', message: 'a queue cannot overflow to itself' });
      else if (!this.queues.has(q.overflow.queueId)) problems.push({ path: 'overflow.queueId', message: `unknown queue ${q.overflow.queueId}` });
    }
    // the order walks agents: one that does not exist is a mistake, not an order
    const strangers = q.agentOrder.filter((a) => !this.agents.has(a));
    if (strangers.length) problems.push({ path: 'agentOrder', message: `unknown agents: ${strangers.slice(0, 10).join(', ')}` });
    if (problems.length) throw Registry.invalid('queue', problems);
    if (this.listQueues().some((o) => o.id !== q.id && o.extension === q.extension)) throw this.extensionTaken(q);
    return q;
  }

  /** 422 whose message names the problems too, so a client (or a person reading a log) sees them at once. */
  private static invalid(what: string, problems: { path: string; message: string }[]): Invalid {
    const summary = problems.slice(0, 3).map((p) => `${p.path}: ${p.message}`).join('; ');
    return new Invalid(`invalid ${what}: ${summary}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`, problems);
  }

  // --- organisation settings ---------------------------------------------------------------
  /** Read from Redis on every call: a change by any controller applies at once. */
  async settings(): Promise<Settings> {
    const stored = ((await this.state.settingsGet()) ?? {}) as Record<string, unknown>;
    // settings stored by another version keep working: keys this one does not know are left out, new ones defaulted
    const known = Object.fromEntries(Object.entries(stored).filter(([key]) => key in SettingsSchema.shape));
    const parsed = SettingsSchema.safeParse(known);
    if (parsed.success) return parsed.data;
    this.log.warn('stored settings do not validate: using defaults', { problems: describeIssues(parsed.error) });
    return SettingsSchema.parse({});
  }

  /** Replaces the settings (omitted keys take their defaults). */
  async replaceSettings(input: unknown): Promise<Settings> {
    const parsed = SettingsSchema.safeParse(input);
    if (!parsed.success) throw Registry.invalid('settings', describeIssues(parsed.error));
    await this.state.settingsPut(parsed.data, 'replace');
    return parsed.data;
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
    return this.oneAtATime(agent.id, async () => {
      const r = await this.state.registryPut('agents', agent.id, agent, 'create');
      if (!r.ok) throw new Conflict('AGENT_EXISTS', `agent ${agent.id} already exists`);
      this.agents.set(agent.id, agent);
      await this.changes.emitAndWait('agentChanged', agent.id, agent);
      return agent;
    });
  }

  async replaceAgent(id: string, input: unknown): Promise<Agent> {
    this.agent(id);
    const agent = this.validateAgent({ ...(input as object), id });
    return this.oneAtATime(id, async () => {
      await this.state.registryPut('agents', id, agent, 'replace');
      this.agents.set(id, agent);
      await this.changes.emitAndWait('agentChanged', id, agent);
      return agent;
    });
  }

  async deleteAgent(id: string): Promise<void> {
    this.agent(id);
    await this.oneAtATime(id, async () => {
      const r = await this.state.registryDelete('agents', id);
      if (!r.ok && r.code === 'AGENT_LOGGED_IN') throw new Conflict('AGENT_LOGGED_IN', `agent ${id} is logged in: log it out first`);
      this.agents.delete(id);
      await this.changes.emitAndWait('agentChanged', id, undefined);
    });
  }

  private validateAgent(input: unknown): Agent {
    const parsed = AgentSchema.safeParse(input);
    if (!parsed.success) throw Registry.invalid('agent', describeIssues(parsed.error));
    const unknown = parsed.data.queues.filter((q) => !this.queues.has(q));
    if (unknown.length) throw new Invalid(`unknown queues: ${unknown.join(', ')}`, { queues: unknown });
    return parsed.data;
  }
}
