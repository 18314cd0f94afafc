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

  it('an agent logged in to a queue it is not assigned to reaches that queue until it logs out', () => {
    const p = new AccessPolicy(registry);
    const agent = who('agent', { agentId: 'a1' });
    assert.equal(p.canQueue(agent, 'support'), false);
    p.noteLoggedIn('a1', ['sales', 'support']);
    assert.equal(p.canQueue(agent, 'support'), true);
    p.noteLoggedIn('a1', []);
    assert.equal(p.canQueue(agent, 'support'), false);
  });

  it('scopes events like the REST reads: queue events by queue, agent.state by agent, monitor.* never to agents, token.* and registry.* to admins, unknown types to admins', () => {
    const sup = who('supervisor', { supervisedQueues: ['sales'] });
    const free = who('supervisor', { supervisedQueues: [] }, { limitToAssignedQueues: false });
    const agent = who('agent', { agentId: 'a1' });
    const admin = who('admin');
    const cases: [Record<string, unknown>, boolean[]][] = [
      // [event, [sup, free, agent, admin]]
      [{ type: 'call.queued', queueId: 'sales', callerNumber: '1' }, [true, true, true, true]],
      [{ type: 'call.queued', queueId: 'support', callerNumber: '1' }, [false, true, false, true]],
      [{ type: 'call.offered', queueId: 'support', agentId: 'a1' }, [false, true, true, true]],   // an agent's own call
      [{ type: 'call.offer_failed', queueId: 'support', agents: ['a2', 'a1'] }, [false, true, true, true]],
      [{ type: 'agent.state', agentId: 'a1', queues: ['sales'] }, [true, true, true, true]],
      [{ type: 'agent.state', agentId: 'a2', queues: ['support'] }, [false, true, false, true]],
      [{ type: 'monitor.started', queueId: 'sales', agentId: 'a1' }, [true, true, false, true]],
      [{ type: 'monitor.ended', queueId: 'support', agentId: 'a2' }, [false, true, false, true]],
      [{ type: 'recording.started', queueId: 'sales', agentId: 'a1' }, [false, false, true, true]],  // accessRecordings is off for supervisors by default
      [{ type: 'clip.created', scope: 'personal', ownerAgentId: 'a2' }, [true, true, false, true]],
      [{ type: 'clip.created', scope: 'public' }, [true, true, true, true]],
      [{ type: 'token.revoked', userId: 'u', tokenId: 't' }, [false, false, false, true]],
      [{ type: 'registry.changed', kind: 'queues', definitionId: 'sales' }, [false, false, false, true]],
      [{ type: 'brand.new_event', queueId: 'sales' }, [false, false, false, true]],
      [{ type: 'call.party_left', queueId: null }, [false, false, false, true]],
    ];
    for (const [e, want] of cases) {
      assert.deepEqual([sup, free, agent, admin].map((p) => policy.mayReceive(p, e as { type: string })), want, JSON.stringify(e));
    }
  });

  it('scopes a monitoring session by its recorded queue and agent: protected agents need monitorProtected', () => {
    const reg = { findAgent: (id: string) => ({ a1: { queues: ['sales'], protected: true } } as Record<string, { queues: string[]; protected: boolean }>)[id] } as unknown as Registry;
    const p = new AccessPolicy(reg);
    const m = { queueId: 'sales', agentId: 'a1' };
    assert.equal(p.canMonitor(who('supervisor', { supervisedQueues: ['sales'] }), m), false);
    assert.equal(p.canMonitor(who('supervisor', { supervisedQueues: ['sales'] }, { monitorProtected: true }), m), true);
    assert.equal(p.canMonitor(who('agent', { agentId: 'a1' }), m), false);
  });
});
