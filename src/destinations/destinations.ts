import type { Principal } from '../access/users';
import { AcdError } from '../errors';
import type { Registry } from '../registry/registry';
import { DestinationPolicy, Verdict, describeRefusal, effectivePolicy, evaluate } from './policy';

/** 422: the system will not dial this destination. */
export class DestinationNotAllowed extends AcdError {
  constructor(message: string, details: Record<string, unknown>) { super(422, 'DESTINATION_NOT_ALLOWED', message, details); }
}

/** A number: digits, * and #, an optional leading + (an endpoint name such as sup-desk is not one). */
export const looksLikeNumber = (target: string) => /^\+?[0-9*#]+$/.test(target);

/**
 * The one gate every number the system dials on its own goes through: callback customers (caller
 * ID or keyed), blind transfers, consultations and three-way calls to external numbers (from the
 * API or an agent phone's REFER), and supervisors' monitor phones. The organisation's policy lives
 * in the settings (config file, then PUT /settings); a queue's `outboundPolicy` overrides it.
 */
export class Destinations {
  constructor(private readonly registry: Registry) {}

  async policyFor(queueId?: string): Promise<DestinationPolicy> {
    const org = (await this.registry.settings()).outboundPolicy;
    return effectivePolicy(org, queueId ? this.registry.findQueue(queueId)?.outboundPolicy : undefined);
  }

  async evaluate(number: string, queueId?: string): Promise<Verdict> {
    return evaluate(number, await this.policyFor(queueId));
  }

  /** The number, or DestinationNotAllowed (422) saying which rule refused it. */
  async check(number: string, queueId: string | undefined, purpose: string): Promise<string> {
    const v = await this.evaluate(number, queueId);
    if (v.allowed) return v.number;
    throw new DestinationNotAllowed(`${purpose}: ${describeRefusal(v)}`, { destination: number, reason: v.reason, rule: v.rule ?? null, queueId: queueId ?? null });
  }

  /**
   * A supervisor's phone for monitoring: the user's own configured endpoint, or the phone of an
   * agent of the registry (PJSIP/<agent id>). Never a channel string from the request: that would
   * let anyone with a supervisor token dial anything (PJSIP/19005550100@trunk).
   */
  monitorEndpoint(user: Principal, requested: string | undefined): string | undefined {
    if (requested === undefined || requested === user.endpoint) return user.endpoint;
    const agent = /^PJSIP\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})$/.exec(requested)?.[1];
    if (agent && this.registry.findAgent(agent)) return requested;
    throw new DestinationNotAllowed(`${requested} is neither your configured endpoint nor the phone of an agent of the registry`,
      { destination: requested, reason: 'not-a-known-phone', rule: null, queueId: null });
  }
}
