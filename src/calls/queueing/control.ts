import type { AccessPolicy } from '../../access/policy';
import type { Principal } from '../../access/users';
import { Forbidden, NotFound } from '../../errors';
import type { CallSession } from '../core';
import type { CallService } from './callService';

/**
 * Who may control a live call (hold, transfer, conference, park, hang up...): the agent on the
 * call, supervisors with the call's queue in scope, admins. The one check every in-call route makes.
 */
export function callControlAccess(calls: CallService, policy: AccessPolicy): (user: Principal, callId: string) => CallSession {
  return (user, callId) => {
    const s = calls.liveSession(callId);
    if (!s) throw new NotFound('call', callId);
    const mine = user.role === 'agent' && s.connected?.agentId === user.agentId;
    if (user.role === 'agent' ? !mine : !policy.canQueue(user, s.queueId)) throw new Forbidden('not a call you may control');
    return s;
  };
}
