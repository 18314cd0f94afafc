import assert from 'node:assert/strict';
import sinon from 'sinon';
import { AccessPolicy } from '../../src/access/policy';
import type { Principal } from '../../src/access/users';
import { MonitorService, monitoringFeature } from '../../src/monitoring';
import { RecordingService, recordingFeature } from '../../src/recording';
import type { Destinations } from '../../src/destinations/destinations';
import type { RecordingRecord, StateStore } from '../../src/state/store';
import { CallWorld, callWorld, connectedCall, queueDef, agentDef } from '../support/callWorld';
import { settle } from '../support/fakeAri';

const NOW = Date.parse('2030-03-04T09:00:00Z');
const supervisor = { id: 's1', role: 'supervisor', endpoint: 'PJSIP/sup1', permissions: {} } as unknown as Principal;

describe('Features riding on a connected call: monitoring and recording (fake ARI, stubbed Lua, real call core)', () => {
  let w: CallWorld;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => {
    w = await callWorld({
      queues: [queueDef({ id: 'q1', extension: '100', name: 'Sales', recording: { policy: 'all' } as never })],
      agents: [agentDef('a1', { name: 'Ann "the" Agent', queues: ['q1'] })],
    });
    clock = w.sandbox.useFakeTimers({ now: NOW, toFake: ['Date'] });
  });
  afterEach(() => { clock.restore(); w.sandbox.restore(); });

  describe('monitoring', () => {
    let monitors: MonitorService;
    beforeEach(() => {
      w.destinations.monitorEndpoint.callsFake((u) => u.endpoint);
      w.state.monitorStart.resolves({ ok: true, value: undefined } as never);
      w.state.monitorConnected.resolves({ ok: true, value: undefined } as never);
      w.state.monitorEnd.resolves({ ok: true, value: undefined } as never);
      w.state.monitor.callsFake(async (id) => ({ id, callId: 'c1', agentId: 'a1', queueId: 'q1', supervisorId: 's1', mode: 'listen', state: 'ringing', endpoint: 'PJSIP/sup1', startedAt: String(NOW) }) as never);
      monitors = new MonitorService(w.core, w.ari.asAri(), w.state as unknown as StateStore, w.registry, w.calls, new AccessPolicy(w.registry), w.log,
        w.destinations as unknown as Destinations);
      w.core.register(monitoringFeature(monitors));
    });

    it('given a connected call, when a supervisor listens, then a Snoop on the agent leg and the supervisor\'s phone are set up as the monitoring feature\'s channels; on answer the supervisor joins muted', async () => {
      const { agentChannelId } = await connectedCall(w);
      const view = await monitors.start(supervisor, 'c1', { mode: 'listen' });
      const [snoopOn, snoopId, snoop] = w.ari.argsOf('snoop')[0];
      assert.deepEqual([snoopOn, snoopId, snoop.spy, snoop.whisper, snoop.appArgs], [agentChannelId, `snoop-${view.id}`, 'both', 'out', `snoop,${view.id}`]);
      const [o] = w.ari.argsOf('originate').at(-1)!;
      assert.deepEqual([o.endpoint, o.channelId, o.appArgs, o.callerId], ['PJSIP/sup1', `monitor-${view.id}`, `monitor,${view.id}`, '"Monitor Ann the Agent" <5551234>']);
      assert.deepEqual(w.core.channels.get(`monitor-${view.id}`), { callId: 'c1', feature: 'monitoring', role: 'supervisor', partyId: view.id });
      w.ari.stasisStart(`monitor-${view.id}`, ['monitor', view.id]);
      await settle();
      assert.deepEqual(w.ari.argsOf('createBridge').at(-1), [`monitor-${view.id}`, 'mixing']);
      assert.deepEqual(w.ari.argsOf('mute'), [[`monitor-${view.id}`, 'in']]);
      assert.equal(w.state.monitorConnected.callCount, 1);
    });

    it('given a supervisor listening, when the caller hangs up, then the session ends as call-ended and its legs are hung up and out of the channel table', async () => {
      await connectedCall(w);
      const view = await monitors.start(supervisor, 'c1', { mode: 'listen' });
      w.ari.stasisStart(`monitor-${view.id}`, ['monitor', view.id]);
      await settle();
      w.ari.channelGone('c1');
      await settle();
      assert.deepEqual(w.state.monitorEnd.firstCall.args, [view.id, 'call-ended']);
      assert.ok(w.ari.hungUp().includes(`monitor-${view.id}`) && w.ari.hungUp().includes(`snoop-${view.id}`));
      assert.equal(w.core.channels.get(`monitor-${view.id}`), undefined);
      assert.equal(w.core.channels.get(`snoop-${view.id}`), undefined);
    });

    it('given a supervisor\'s phone ringing, when it is not answered, then the session ends as not-answered', async () => {
      await connectedCall(w);
      const view = await monitors.start(supervisor, 'c1', { mode: 'whisper' });
      w.ari.channelGone(`monitor-${view.id}`, 19);
      await settle();
      assert.deepEqual(w.state.monitorEnd.firstCall.args, [view.id, 'not-answered']);
    });
  });

  describe('recording', () => {
    it('given a queue recording every call, when the call is connected the bridge is recorded; when it ends the recording is stopped, on Asterisk then in Redis', async () => {
      const rec = { id: 'c1-1', name: 'calls/c1-1', callId: 'c1', queueId: 'q1', agentId: 'a1', state: 'recording' } as RecordingRecord;
      w.state.recordingStart.resolves({ ok: true, value: 'c1-1' } as never);
      w.state.recording.resolves(rec);
      w.state.activeRecordingId.resolves('c1-1');
      w.state.recordingStop.resolves({ ok: true, value: 1000 } as never);
      w.state.recordingIds.resolves([]);
      const recordings = new RecordingService(w.core, w.ari.asAri(), w.state as unknown as StateStore, w.registry, w.calls, new AccessPolicy(w.registry), 'n1', w.log);
      w.core.register(recordingFeature(recordings));
      const { bridgeId } = await connectedCall(w);
      await settle();
      assert.deepEqual(w.state.recordingStart.firstCall.args, ['c1', 'policy', true]);
      assert.deepEqual(w.ari.argsOf('recordBridge'), [[bridgeId, 'calls/c1-1']]);
      w.ari.channelGone('c1');
      await settle();
      assert.deepEqual(w.ari.argsOf('stopRecording'), [['calls/c1-1']]);
      assert.deepEqual(w.state.recordingStop.lastCall.args, ['c1-1', 'stopped']);
    });
  });
});
