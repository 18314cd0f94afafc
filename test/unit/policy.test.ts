import assert from 'node:assert/strict';
import { AccessPolicy } from '../../src/access/policy';
import { effectivePermissions } from '../../src/access/permissions';
import type { Principal } from '../../src/access/users';
import type { Registry } from '../../src/registry/registry';

// The policy reads agents' queues from the registry; a stand-in with two agents is enough here.
const registry = { findAgent: (id: string) => ({ a1: { queues: ['sales'] }, a2: { queues: ['support'] } } as Record<string, { queues: string[] }>)[id] } as unknown as Registry;
const policy = new AccessPolicy(registry);
const who = (role: Principal['role'], o: Partial<Principal> = {}, perms = {}): Principal =>
  ({ id: 'u', role, supervisedQueues: [], permissions: effectivePermissions(role, perms), ...o });

describe('access policy: who reaches which queue and agent', () => {
  it('limits a supervisor to the queues they supervise and those queues\' agents, by default', () => {
    const sup = who('supervisor', { supervisedQueues: ['sales'] });
    assert.deepEqual([policy.canQueue(sup, 'sales'), policy.canQueue(sup, 'support')], [true, false]);
    assert.deepEqual([policy.canAgent(sup, 'a1'), policy.canAgent(sup, 'a2')], [true, false]);
  });

  it('lifts that limit with limitToAssignedQueues off', () => {
    const sup = who('supervisor', { supervisedQueues: [] }, { limitToAssignedQueues: false });
    assert.deepEqual([policy.canQueue(sup, 'support'), policy.canAgent(sup, 'a2')], [true, true]);
  });

  it('lets an agent reach only itself and its own queues; an admin everything', () => {
    const agent = who('agent', { agentId: 'a1' });
    assert.deepEqual([policy.canAgent(agent, 'a1'), policy.canAgent(agent, 'a2'), policy.canQueue(agent, 'sales'), policy.canQueue(agent, 'support')], [true, false, true, false]);
    assert.throws(() => policy.agent(agent, 'a2'), /may act only on agent a1/);
    const admin = who('admin');
    assert.deepEqual([policy.canQueue(admin, 'x'), policy.canAgent(admin, 'a2')], [true, true]);
  });
});
