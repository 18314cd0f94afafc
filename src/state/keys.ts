/** Redis key names, in one place. The Lua scripts build the same names from the prefix (see _lib.lua). */
export class Keys {
  constructor(readonly prefix: string) {}
  agent(id: string) { return `${this.prefix}agent:${id}`; }
  agentQueues(id: string) { return `${this.prefix}agent:${id}:queues`; }
  agentPausedQueues(id: string) { return `${this.prefix}agent:${id}:paused`; }
  queueAgents(q: string) { return `${this.prefix}queue:${q}:agents`; }
  queueReady(q: string) { return `${this.prefix}queue:${q}:ready`; }
  queueWaiting(q: string) { return `${this.prefix}queue:${q}:waiting`; }
  call(id: string) { return `${this.prefix}call:${id}`; }
  nodeCalls(node: string) { return `${this.prefix}node:${node}:calls`; }
  /** Controllers' last heartbeats (node → ms), those being taken over (node → the claim's deadline), and a lost node's record. */
  nodes() { return `${this.prefix}nodes`; }
  nodesLost() { return `${this.prefix}nodes:lost`; }
  nodesSince() { return `${this.prefix}nodes:since`; }
  node(node: string) { return `${this.prefix}node:${node}`; }
  registry(kind: 'queues' | 'agents' | 'users' | 'pauseReasons' | 'settings') { return `${this.prefix}registry:${kind}`; }
  /** Queues deleted through the API: the config file's seed does not bring them back. */
  registryDeletedQueues() { return `${this.prefix}registry:queues:deleted`; }
  monitor(id: string) { return `${this.prefix}monitor:${id}`; }
  monitors() { return `${this.prefix}monitors`; }
  recording(id: string) { return `${this.prefix}recording:${id}`; }
  recordings() { return `${this.prefix}recordings`; }
  /** A call's active recording id and its recording counter. */
  /** A call's third parties (three-way calls): partyId → JSON. */
  callParties(callId: string) { return `${this.prefix}call:${callId}:parties`; }
  callRecording(callId: string) { return `${this.prefix}call:${callId}:recording`; }
  clip(id: string) { return `${this.prefix}clip:${id}`; }
  clips() { return `${this.prefix}clips`; }
  parked() { return `${this.prefix}parked`; }
  tokens() { return `${this.prefix}tokens`; }
  /** Config-file tokens revoked through the API: a restart does not seed them again. */
  tokensRevoked() { return `${this.prefix}tokens:revoked`; }
  userTokens(userId: string) { return `${this.prefix}user:${userId}:tokens`; }
  /** Users' password hashes (user id → scrypt string), and the sign-in failure counts per name and address. */
  passwords() { return `${this.prefix}passwords`; }
  signIn(by: 'name' | 'addr', v: string) { return `${this.prefix}signin:${by}:${v}`; }
  /** Wallboards (id → JSON), display tokens (sha256 → JSON) and each wallboard's tokens (tokenId → sha256). */
  wallboards() { return `${this.prefix}wallboards`; }
  wallboardsArchived() { return `${this.prefix}wallboards:archived`; }
  wallboardDisplay() { return `${this.prefix}wallboard:display`; }
  wallboardDisplays(id: string) { return `${this.prefix}wallboard:${id}:displays`; }
  callbacks() { return `${this.prefix}callbacks`; }
  callbackAttempts(id: string) { return `${this.prefix}call:${id}:attempts`; }
  timers() { return `${this.prefix}timers`; }
  events() { return `${this.prefix}events`; }
  /** Real-time metrics (metrics_apply.lua): the last applied stream id, day aggregates, the agent's tracked state. */
  metricsCursor() { return `${this.prefix}metrics:cursor`; }
  metricsQueueDay(q: string, day: string) { return `${this.prefix}metrics:queue:${q}:${day}`; }
  metricsAgentDay(a: string, day: string) { return `${this.prefix}metrics:agent:${a}:${day}`; }
  metricsAgent(a: string) { return `${this.prefix}metrics:agent:${a}`; }
}
