import assert from 'node:assert/strict';
import { effectivePermissions } from '../../src/access/permissions';

describe('permissions', () => {
  it('gives each role its defaults: supervisors limited to their queues, agents their own tools', () => {
    const sup = effectivePermissions('supervisor');
    assert.deepEqual([sup.limitToAssignedQueues, sup.accessRecordings, sup.monitorProtected, sup.viewSkills], [true, false, false, true]);
    const agent = effectivePermissions('agent');
    assert.deepEqual([agent.manageOwnClips, agent.useDispositions, agent.managePublicCannedMessages], [true, true, false]);
  });

  it('applies per-user changes to supervisors and agents, never takes rights from an admin', () => {
    assert.equal(effectivePermissions('supervisor', { limitToAssignedQueues: false, accessRecordings: true }).accessRecordings, true);
    assert.equal(effectivePermissions('supervisor', { limitToAssignedQueues: false }).limitToAssignedQueues, false);
    const admin = effectivePermissions('admin', { accessRecordings: false });
    assert.deepEqual([admin.accessRecordings, admin.limitToAssignedQueues], [true, false]);
  });
});
