import type { Registry } from '../../registry/registry';
import type { WrapUp } from '../../state/store';

/**
 * The after-call work a call of this queue gives this agent (the agent's override wins). Passed to
 * every transition that ends an agent's part in a call (call_release, call_transfer, call_park,
 * consult_complete, callback_attempt_end), which set the wrap-up deadline timer in Redis.
 */
export function wrapUpFor(registry: Pick<Registry, 'findQueue' | 'findAgent'>, queueId: string, agentId: string): WrapUp {
  const w = registry.findQueue(queueId)?.wrapUp;
  const sec = registry.findAgent(agentId)?.wrapUpSec ?? w?.sec ?? 0;
  return { ms: sec * 1000, maxMs: (w?.maxSec ?? 0) * 1000, stepMs: (w?.extendStepSec ?? 0) * 1000 };
}
