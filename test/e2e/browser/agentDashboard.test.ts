import assert from 'node:assert/strict';
import { TEST_ENV } from '../../support/env';
import { Browser, screenshot, signIn } from '../harness/browser';
import { eventually, sleep } from '../harness/controller';
import { allocatePort } from '../harness/ports';
import { RtpPeer } from '../harness/rtpPeer';
import { startAgentPhone, startCaller } from '../harness/sipp';
import { TestRun } from '../harness/suite';

const CALLER_HZ = 440;
const AGENT_HZ = 660;
const HEARD = 0.08;
// over music on hold a tone's share stays well below what a party heard alone gives (~0.99): see callControl.test.ts
const NOT_HEARD_OVER_MUSIC = 0.3;

describe('browser: the agent dashboard (headless Chromium, real SIP)', function () {
  this.timeout(120_000);
  const run = new TestRun();
  let browser: Browser | undefined;
  const peers: RtpPeer[] = [];

  afterEach(async function () {
    await browser?.close();
    browser = undefined;
    for (const p of peers.splice(0)) p.close();
    await run.end(this);
  });

  it('given an agent signed in and ready in one queue, a caller rings with number and queue shown, is held (hearing music) and taken back, hung up from the page; the wrap-up countdown runs and ending it rings the next caller', async () => {
    const ctl = await run.start('web-agent', {
      queues: [
        { id: 'sales', name: 'Sales Line', extension: '8951', wrapUp: { sec: 60 } },
        { id: 'support', name: 'Support Desk', extension: '8952' },
      ],
      agents: [],
      users: [{ id: 'al', name: 'Alice Agent', role: 'agent', agentId: 'a1', password: 'alice-web-pass-1' }],
    });
    const agentMedia = await RtpPeer.open(AGENT_HZ); peers.push(agentMedia);
    const phonePort = allocatePort();
    const phone = run.track(startAgentPhone({ port: phonePort, calls: 2, answerAfterMs: 2500, mediaPort: agentMedia.port }));
    await ctl.ok('POST', '/agents', { id: 'a1', name: 'Alice Agent', queues: ['sales', 'support'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${phonePort}` } });

    browser = await Browser.launch(`http://127.0.0.1:${ctl.httpPort}`);
    const page = await browser.page('/');
    await screenshot(page, 'sign-in');
    await signIn(page, 'al', 'alice-web-pass-1');
    await page.waitForURL(/\/agent$/);
    await page.getByRole('heading', { name: 'Sales Line' }).waitFor();
    await screenshot(page, 'agent-dashboard-logged-out');

    // ready in one queue only: logged in to Sales Line, not to Support Desk
    await page.getByTestId('my-queue-sales').getByRole('button', { name: 'Log in' }).click();
    await run.events.waitFor((e) => e.type === 'agent.state' && e.agentId === 'a1' && e.state === 'ready', 5000, 'a1 ready');
    await page.getByTestId('my-queue-sales').getByRole('cell', { name: 'ready', exact: true }).waitFor();
    const st = await ctl.agentState('a1') as any;
    assert.equal(st.state, 'ready');
    assert.deepEqual(st.loggedInQueues, ['sales']);

    const callerMedia = await RtpPeer.open(CALLER_HZ); peers.push(callerMedia);
    run.track(startCaller({ extension: '8951', callerNumber: '15550901', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 90_000, mediaPort: callerMedia.port }));
    const incoming = page.getByTestId('incoming');
    await incoming.waitFor();
    assert.equal(await page.getByTestId('incoming-caller').textContent(), '15550901');
    assert.equal(await page.getByTestId('incoming-queue').textContent(), 'Sales Line');
    assert.match(await incoming.textContent() ?? '', /Queue call ringing/);
    await screenshot(page, 'agent-incoming-call');

    // the agent's SIPp phone answers after 2.5 s
    const answered = await run.events.waitFor((e) => e.type === 'call.answered' && e.agentId === 'a1', 10_000, 'call.answered');
    await page.getByTestId('call-panel').waitFor();
    assert.equal(await page.getByTestId('call-caller').textContent(), '15550901');
    await eventually(async () => callerMedia.hears(AGENT_HZ, 500) > HEARD, 8000, 'the caller hears the agent');
    await screenshot(page, 'agent-on-call');

    await page.getByRole('button', { name: 'Hold' }).click();
    await run.events.waitFor((e) => e.type === 'call.held' && e.callId === answered.callId, 5000, 'call.held');
    await page.getByTestId('on-hold').waitFor();
    await eventually(async () => callerMedia.hears(AGENT_HZ, 800) < NOT_HEARD_OVER_MUSIC && callerMedia.level(800) > 60, 8000, 'on hold: music, not the agent');
    await screenshot(page, 'agent-call-on-hold');
    await page.getByRole('button', { name: 'Take back' }).click();
    await run.events.waitFor((e) => e.type === 'call.unheld' && e.callId === answered.callId, 5000, 'call.unheld');
    await eventually(async () => callerMedia.hears(AGENT_HZ, 500) > HEARD, 8000, 'talking again after taking the caller back');
    // the keypad form shows the API's message at its field for digits that are no DTMF
    await page.getByLabel('Keypad digits').fill('x1');
    await page.getByRole('button', { name: 'Send digits' }).click();
    await page.locator('[data-field-error="digits"]').getByText('DTMF digits 0-9 * # A-D').waitFor();

    await page.getByRole('button', { name: 'Hang up' }).click();
    const ended = await run.events.waitFor((e) => e.type === 'call.ended' && e.callId === answered.callId, 5000, 'call.ended');
    assert.equal(ended.endedBy, 'api');
    const wrapup = page.getByTestId('wrapup');
    await wrapup.waitFor();
    const left1 = seconds(await page.getByTestId('wrapup-left').textContent());
    await sleep(2200);
    const left2 = seconds(await page.getByTestId('wrapup-left').textContent());
    assert.ok(left1 > 50 && left1 <= 60, `the countdown starts near the queue's 60 s (${left1})`);
    assert.ok(left2 < left1, `the countdown runs (${left1} → ${left2})`);
    // the disposition form: a tag too long is refused at the field, then tags and notes are saved
    const disposition = page.getByRole('form', { name: 'Disposition' });
    await disposition.getByLabel('Tags (comma separated)').fill('x'.repeat(41));
    await disposition.getByRole('button', { name: 'Save disposition' }).click();
    await disposition.locator('[data-field-error="tags"]').waitFor();
    await disposition.getByLabel('Tags (comma separated)').fill('vip, billing');
    await disposition.getByLabel('Notes').fill('asked about the invoice');
    await disposition.getByRole('button', { name: 'Save disposition' }).click();
    await disposition.getByRole('status').getByText('Saved').waitFor();
    const rec = await ctl.ok('GET', `/calls/${answered.callId}`);
    assert.deepEqual([rec.tags, rec.notes], [['vip', 'billing'], 'asked about the invoice']);
    await screenshot(page, 'agent-wrap-up');

    // the next caller waits while the agent wraps up, and rings the agent once wrap-up is ended from the page
    run.track(startCaller({ extension: '8951', callerNumber: '15550902', asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 90_000 }));
    const queued = await run.events.waitFor((e) => e.type === 'call.queued' && e.callerNumber === '15550902', 10_000, 'second caller queued');
    await sleep(500);
    assert.equal(run.events.all.filter((e) => e.type === 'call.offered' && e.callId === queued.callId).length, 0, 'no offer during wrap-up');
    await page.getByRole('button', { name: 'End wrap-up' }).click();
    await run.events.waitFor((e) => e.type === 'call.offered' && e.callId === queued.callId && e.agentId === 'a1', 5000, 'the next caller offered to a1');
    await eventually(async () => phone.invites().length === 2, 5000, 'the agent\'s phone rings a second time');
    await incoming.waitFor();
    assert.equal(await page.getByTestId('incoming-caller').textContent(), '15550902');
  });
});


function seconds(text: string | null): number {
  const m = /(\d+):(\d\d)/.exec(text ?? '');
  assert.ok(m, `a m:ss countdown (got "${text}")`);
  return Number(m[1]) * 60 + Number(m[2]);
}
