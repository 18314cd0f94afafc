import assert from 'node:assert/strict';
import { TEST_ENV, uniqueSchema } from '../../support/env';
import { Browser, screenshot, signIn } from '../harness/browser';
import { customerTrunk } from '../harness/asterisk';
import { eventually } from '../harness/controller';
import { allocatePort } from '../harness/ports';
import { startAgentPhone, startCaller } from '../harness/sipp';
import { TestRun } from '../harness/suite';

const SALES = { id: 'sales', name: 'Sales Line', extension: '8971' };
const USERS = [
  { id: 'sam', name: 'Sam Super', role: 'supervisor', supervisedQueues: ['sales'], password: 'sam-campaign-pass-1' },
  { id: 'al', name: 'Alice Agent', role: 'agent', agentId: 'a1', password: 'alice-campaign-pass-1' },
];
// two good rows, one refused (letters in the phone column) on line 3 of the file, the header on line 1
const TRUNK = 'e2e-web-campaign-customers';
const CRM_EXPORT = 'name,phone,city\nBob Brown,+1 (555) 010-2000,Paris\nCarl Cole,call me maybe,Rome\nDee Dunn,555.010.4000,Oslo\n';

describe('browser: campaigns of missed calls (headless Chromium, real controller, Redis, PostgreSQL)', function () {
  this.timeout(180_000);
  const run = new TestRun();
  const browsers: Browser[] = [];
  const launch = async () => { const b = await Browser.launch(`http://127.0.0.1:${run.ctl.httpPort}`); browsers.push(b); return b; };

  afterEach(async function () {
    for (const b of browsers.splice(0)) await b.close();
    await run.end(this);
  });

  it('given a supervisor, when they create a campaign, add one entry by hand and two from a CSV (the refused row shown with its line number), move one, assign an agent, pause and resume it, edit its settings, delete its entries in bulk, delete another and keep a do-not-call list, then the agent\'s dashboard shows the campaign card, the agent logs in, pauses with a reason and unpauses from it, and the supervisor pauses, unpauses and logs the agent out from the campaign page', async () => {
    const ctl = await run.start('web-campaigns', { queues: [SALES], agents: [], users: USERS });
    await ctl.ok('POST', '/agents', { id: 'a1', name: 'Alice Agent', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5999' } });
    // a second campaign to move an entry to
    await ctl.ok('POST', '/campaigns', { id: 'later', name: 'Later Calls' });

    const sup = await (await launch()).page('/');
    await signIn(sup, 'sam', 'sam-campaign-pass-1');
    await sup.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
    await sup.waitForURL(/\/campaigns$/);
    await sup.getByTestId('campaign-row-later').waitFor();
    await sup.getByRole('button', { name: '+ New campaign' }).click();
    const form = sup.getByRole('form', { name: 'New campaign' });
    await form.getByLabel('Name').fill('Spring Callbacks');
    // a bad id: the API's message at the field, nothing created
    await form.getByLabel('Id (optional)').fill('Spring!');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await form.locator('[data-field-error="id"]').getByText(/lower-case letters/).waitFor();
    assert.deepEqual((await ctl.ok('GET', '/campaigns')).campaigns.map((c: any) => c.id), ['later']);
    await form.getByLabel('Id (optional)').fill('spring');
    await screenshot(sup, 'campaigns-new');
    await form.getByRole('button', { name: 'Create campaign' }).click();
    await sup.waitForURL(/\/campaigns\/spring$/);
    const created = await ctl.ok('GET', '/campaigns/spring');
    assert.deepEqual([created.name, created.state, created.inboundFirst], ['Spring Callbacks', 'active', true]);

    // entries: one by hand, then the CRM export
    await sup.getByRole('tab', { name: 'Entries' }).click();
    const byHand = sup.getByRole('form', { name: 'Add an entry' });
    await byHand.getByLabel('Number').fill('+15550101000');
    await byHand.getByLabel('Name').fill('Ann Lee');
    await byHand.getByRole('button', { name: 'Add' }).click();
    await sup.getByTestId('entry-+15550101000').waitFor();
    const csv = sup.getByRole('form', { name: 'Import a CSV file' });
    await csv.getByLabel('CSV file').setInputFiles({ name: 'crm-export.csv', mimeType: 'text/csv', buffer: Buffer.from(CRM_EXPORT) });
    // the phone column is chosen from the file's header row
    await eventually(async () => (await csv.getByLabel('Phone column').inputValue()) === '1', 5000, 'the phone column preselected');
    assert.match(await csv.getByLabel('Phone column').locator('option:checked').textContent() ?? '', /^phone/);
    assert.equal(await csv.getByLabel('First row is headers').isChecked(), true);
    await csv.getByRole('button', { name: 'Import' }).click();
    const refused = sup.getByTestId('import-refused');
    await refused.waitFor();
    assert.match(await sup.getByTestId('import-result').textContent() ?? '', /Added 2 entries, refused 1 row/);
    const line3 = refused.getByTestId('refused-line-3');
    assert.match(await line3.textContent() ?? '', /call me maybe/);
    assert.equal(await refused.locator('tbody tr').count(), 1);
    await sup.getByTestId('entry-5550104000').waitFor();
    await screenshot(sup, 'campaign-entries-import');
    const entries = (await ctl.ok('GET', '/campaigns/spring/entries')).entries as any[];
    assert.deepEqual(entries.map((e) => e.number).sort(), ['+15550101000', '+15550102000', '5550104000']);
    assert.equal(entries.find((e) => e.number === '5550104000').details.city, 'Oslo');

    // one entry moved to the other campaign by selecting it
    await sup.getByTestId('entry-5550104000').getByRole('checkbox').check();
    await sup.getByLabel('Move to campaign').selectOption('later');
    await sup.getByRole('group', { name: 'Selected entries' }).getByRole('button', { name: 'Move' }).click();
    await sup.getByRole('group', { name: 'Selected entries' }).getByRole('status').getByText('Moved 1.').waitFor();
    await sup.getByTestId('entry-5550104000').waitFor({ state: 'detached' });
    assert.deepEqual((await ctl.ok('GET', '/campaigns/later/entries')).entries.map((e: any) => e.number), ['5550104000']);

    // the overview's live figures
    await sup.getByRole('tab', { name: 'Overview' }).click();
    await eventually(async () => (await sup.getByTestId('stat-not-dialed').textContent()) === '2', 5000, 'two entries not dialed');
    assert.equal(await sup.getByTestId('stat-waiting').textContent(), '2');

    // agents: assign a1
    await sup.getByRole('tab', { name: 'Agents' }).click();
    await sup.getByLabel('Agent to assign').selectOption('a1');
    await sup.getByRole('button', { name: 'Assign', exact: true }).click();
    await sup.getByTestId('campaign-agent-a1').waitFor();
    assert.deepEqual((await ctl.ok('GET', '/campaigns/spring')).agents, ['a1']);

    // pause and resume the whole campaign from its page
    await sup.getByRole('button', { name: 'Pause campaign Spring Callbacks' }).click();
    await sup.getByRole('heading', { level: 1 }).getByTestId('campaign-state').getByText('paused').waitFor();
    assert.equal((await ctl.ok('GET', '/campaigns/spring')).state, 'paused');
    await sup.getByRole('button', { name: 'Resume campaign Spring Callbacks' }).click();
    await sup.getByRole('heading', { level: 1 }).getByTestId('campaign-state').getByText('active').waitFor();
    assert.equal((await ctl.ok('GET', '/campaigns/spring')).state, 'active');
    // paused again, so that the agent's login below dials nobody
    await sup.getByRole('button', { name: 'Pause campaign Spring Callbacks' }).click();
    await sup.getByRole('heading', { level: 1 }).getByTestId('campaign-state').getByText('paused').waitFor();

    // the agent's dashboard: the card, then the login from it
    const agent = await (await launch()).page('/');
    await signIn(agent, 'al', 'alice-campaign-pass-1');
    await agent.waitForURL(/\/agent$/);
    const card = agent.getByTestId('campaign-card-spring');
    await card.waitFor();
    assert.equal(await agent.getByTestId('campaign-card-later').count(), 0, 'only the campaigns the agent is assigned to');
    assert.equal(await card.getByTestId('not-dialed').textContent(), '2');
    assert.equal(await card.getByTestId('campaign-state').textContent(), 'paused');
    assert.equal(await card.getByTestId('my-campaign-state').textContent(), 'logged out');
    await card.getByRole('button', { name: 'Log in to campaign Spring Callbacks' }).click();
    await card.getByTestId('my-campaign-state').getByText('logged in').waitFor();
    await card.getByTestId('agents-logged-in').getByText('1').waitFor();
    const a1 = ((await ctl.ok('GET', '/campaigns/spring/agents')).agents as any[]).find((x) => x.agentId === 'a1');
    assert.deepEqual([a1.loggedIn, a1.paused], [true, false]);
    // the supervisor's agents tab shows it live
    const supRow = sup.getByTestId('campaign-agent-a1');
    await supRow.getByTestId('campaign-agent-state').getByText('logged in').waitFor();

    // the agent pauses there with a reason, then unpauses
    const reason = await agent.getByLabel('Campaign pause reason').inputValue();
    assert.ok(reason, 'a pause reason offered');
    await card.getByRole('button', { name: 'Pause in campaign Spring Callbacks' }).click();
    await card.getByTestId('my-campaign-state').getByText(`paused (${reason})`).waitFor();
    await supRow.getByTestId('campaign-agent-state').getByText(`paused (${reason})`).waitFor();
    const paused = ((await ctl.ok('GET', '/campaigns/spring/agents')).agents as any[]).find((x) => x.agentId === 'a1');
    assert.deepEqual([paused.loggedIn, paused.paused, paused.pauseReason], [true, true, reason]);
    await screenshot(agent, 'agent-campaign-card');
    await card.getByRole('button', { name: 'Unpause in campaign Spring Callbacks' }).click();
    await card.getByTestId('my-campaign-state').getByText('logged in').waitFor();

    // the supervisor acts for the agent: pause, unpause, log out; the agent's card follows
    await supRow.getByRole('button', { name: 'Pause Alice Agent' }).click();
    await card.getByTestId('my-campaign-state').getByText(/^paused/).waitFor();
    await screenshot(sup, 'campaign-agents');
    await supRow.getByRole('button', { name: 'Unpause Alice Agent' }).click();
    await card.getByTestId('my-campaign-state').getByText('logged in').waitFor();
    await supRow.getByRole('button', { name: 'Log out Alice Agent' }).click();
    await card.getByTestId('my-campaign-state').getByText('logged out').waitFor();
    assert.equal(((await ctl.ok('GET', '/campaigns/spring/agents')).agents as any[]).find((x) => x.agentId === 'a1').loggedIn, false);
    // no entry was dialed: the campaign stayed paused
    assert.equal(run.events.all.filter((e) => e.type === 'campaign.call').length, 0);

    // the campaign pages are the staff's: the agent is not let in
    await agent.goto(`${browsers[1].origin}/campaigns/spring`);
    await agent.getByTestId('not-allowed').waitFor();

    // settings: renamed, one option on; the agent's card follows
    await sup.getByRole('tab', { name: 'Settings' }).click();
    const settings = sup.getByRole('form', { name: 'Campaign settings' });
    await settings.getByLabel('Name').fill('Spring Callbacks 2026');
    await settings.getByLabel('At most one attempt per number per day').check();
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByRole('status').getByText('Saved').waitFor();
    await sup.getByRole('heading', { level: 1 }).getByText('Campaign Spring Callbacks 2026').waitFor();
    const edited = await ctl.ok('GET', '/campaigns/spring');
    assert.deepEqual([edited.name, edited.options.onePerNumberPerDay, edited.options.doNotCall ?? false], ['Spring Callbacks 2026', true, false]);
    await agent.goto(`${browsers[1].origin}/agent`);
    await agent.getByTestId('campaign-card-spring').getByRole('heading', { name: /Spring Callbacks 2026/ }).waitFor();

    // bulk delete: every entry shown selected, deleted after the confirmation; the agent's card follows
    await sup.getByRole('tab', { name: 'Entries' }).click();
    await sup.getByTestId('entry-+15550102000').waitFor();
    await sup.getByRole('checkbox', { name: 'Select all shown' }).check();
    assert.equal(await sup.getByTestId('selected-count').textContent(), '2 selected');
    sup.once('dialog', (d) => void d.accept());
    await sup.getByRole('button', { name: 'Delete selected' }).click();
    await sup.getByRole('group', { name: 'Selected entries' }).getByRole('status').getByText('Deleted 2.').waitFor();
    await sup.getByTestId('entries-range').getByText('no entries').waitFor();
    assert.equal((await ctl.ok('GET', '/campaigns/spring/entries')).total, 0);
    await agent.getByTestId('campaign-card-spring').getByTestId('not-dialed').getByText('0').waitFor();

    // the list: the other campaign deleted (after the confirmation)
    await sup.getByRole('link', { name: 'All campaigns' }).click();
    sup.once('dialog', (d) => void d.accept());
    await sup.getByRole('button', { name: 'Delete campaign Later Calls' }).click();
    await sup.getByTestId('campaign-row-later').waitFor({ state: 'detached' });
    assert.equal((await ctl.request('GET', '/campaigns/later')).status, 404);
    assert.match(await sup.getByTestId('campaign-row-spring').textContent() ?? '', /Spring Callbacks 2026.*paused/);
    // the do-not-call list: a number with letters refused (nothing kept), then two numbers saved normalized
    await sup.getByText('Do-not-call list (0 numbers)').click();
    const dnc = sup.getByRole('form', { name: 'Do-not-call list' });
    await dnc.getByLabel('Do-not-call numbers').fill('+1 (555) 010-0100\nnot a number');
    await dnc.getByRole('button', { name: 'Save list' }).click();
    await dnc.getByRole('alert').getByText(/^not a number: /).waitFor();
    assert.deepEqual((await ctl.ok('GET', '/campaigns/do-not-call')).numbers, []);
    await dnc.getByLabel('Do-not-call numbers').fill('+1 (555) 010-0100\n555.010.0101');
    await dnc.getByRole('button', { name: 'Save list' }).click();
    await dnc.getByRole('status').getByText('Saved').waitFor();
    assert.deepEqual((await ctl.ok('GET', '/campaigns/do-not-call')).numbers, ['+15550100100', '5550100101']);
    assert.equal(await dnc.getByLabel('Do-not-call numbers').inputValue(), '+15550100100\n5550100101');
    await screenshot(sup, 'campaigns-list');
  });

  it('given three callers who gave up waiting, when the supervisor adds one missed call\'s card to a campaign, then selects the two others and adds them together, then all three are the campaign\'s entries from their missed calls and the cards say so', async () => {
    const schema = uniqueSchema('web-campaign-missed');
    const ctl = await run.start('web-campaign-missed', { queues: [SALES], agents: [], users: USERS },
      { env: { DATABASE_URL: TEST_ENV.databaseUrl, ACD_HISTORY_SCHEMA: schema } });
    await ctl.ok('POST', '/campaigns', { id: 'spring', name: 'Spring Callbacks' });
    const sup = await (await launch()).page('/');
    await signIn(sup, 'sam', 'sam-campaign-pass-1');
    await sup.waitForURL(/\/supervisor$/);
    await sup.getByRole('tab', { name: 'Missed calls' }).click();
    await sup.getByTestId('missed-calls').getByText('No missed call today.').waitFor();

    // no agent: each caller waits, then hangs up (abandoned)
    const numbers = ['15550971', '15550972', '15550973'];
    for (const n of numbers) run.track(startCaller({ extension: SALES.extension, callerNumber: n, asteriskPort: TEST_ENV.sipPort, hangupAfterMs: 3000 }));
    const abandoned: Record<string, string> = {};
    await eventually(async () => {
      for (const e of run.events.all) if (e.type === 'call.queued' && numbers.includes(e.callerNumber)) abandoned[e.callerNumber] = e.callId;
      return numbers.every((n) => abandoned[n] && run.events.all.some((e) => e.type === 'call.abandoned' && e.callId === abandoned[n]));
    }, 30_000, 'three callers abandoned');
    const card = (n: string) => sup.getByTestId(`missed-${abandoned[n]}`);
    for (const n of numbers) await card(n).waitFor({ timeout: 15_000 });
    assert.match(await card('15550971').textContent() ?? '', /15550971.*Sales Line.*abandoned/);
    await screenshot(sup, 'supervisor-missed-calls');

    // one by its own button
    await card('15550971').getByRole('button', { name: 'Add to campaign' }).click();
    await sup.getByTestId('missed-added').getByText('Added 1 to Spring Callbacks.').waitFor();
    await card('15550971').getByTestId('missed-in').getByText('In Spring Callbacks').waitFor();
    assert.equal(await card('15550971').getByRole('button', { name: 'In this campaign' }).isDisabled(), true);
    // two selected together
    await card('15550972').getByRole('checkbox', { name: 'Select 15550972' }).check();
    await card('15550973').getByRole('checkbox', { name: 'Select 15550973' }).check();
    await sup.getByRole('button', { name: 'Add selected (2) to campaign' }).click();
    await sup.getByTestId('missed-added').getByText('Added 2 to Spring Callbacks.').waitFor();
    for (const n of numbers) await card(n).getByTestId('missed-in').getByText('In Spring Callbacks').waitFor();
    await screenshot(sup, 'supervisor-missed-calls-added');

    const entries = (await ctl.ok('GET', '/campaigns/spring/entries')).entries as any[];
    assert.deepEqual(entries.map((e) => [e.number, e.source, e.missedCallId]).sort(), numbers.map((n) => [n, 'missed', abandoned[n]]));
  });

  it('given an agent assigned to an active campaign while its dashboard is open, when it logs in and the entry is dialed agent first, then the agent\'s dashboard shows the campaign call with the contact and its details, the supervisor sees it in progress, and once over the entry is handled in the figures and under the status filter', async () => {
    const ctl = await run.start('web-campaign-call', { outboundDial: `PJSIP/{number}@${TRUNK}`, queues: [SALES], agents: [], users: USERS });
    // the agent's phone rings 2.5 s (long enough to see it ringing), the customer answers and hangs up after 6 s
    const agentPort = allocatePort();
    const agentPhone = run.track(startAgentPhone({ port: agentPort, calls: 1, answerAfterMs: 2500 }));
    const customer = run.track(startAgentPhone({ port: allocatePort(), calls: 1, answerAfterMs: 500, hangupAfterMs: 6000 }));
    await customerTrunk(TRUNK, customer.port);
    await ctl.ok('POST', '/agents', { id: 'a1', name: 'Alice Agent', queues: ['sales'], phone: { mode: 'static', contact: `sip:a1@127.0.0.1:${agentPort}` } });
    await ctl.ok('POST', '/campaigns', { id: 'spring', name: 'Spring Callbacks' });
    const added = await ctl.ok('POST', '/campaigns/spring/entries', { entries: [{ number: '15550102000', name: 'Bob Brown', details: { city: 'Paris', order: 'A-1042' } }] });
    const entryId = added.added[0].id;

    const sup = await (await launch()).page('/');
    await signIn(sup, 'sam', 'sam-campaign-pass-1');
    await sup.goto(`${browsers[0].origin}/campaigns/spring`);
    await sup.getByRole('tab', { name: 'Calls in progress' }).click();
    await sup.getByTestId('campaign-calls').getByText('No campaign call in progress.').waitFor();

    const agent = await (await launch()).page('/');
    await signIn(agent, 'al', 'alice-campaign-pass-1');
    await agent.getByRole('heading', { name: 'Sales Line' }).waitFor();
    assert.equal(await agent.getByRole('region', { name: 'My campaigns' }).count(), 0, 'no campaign section before the agent is assigned to one');
    // assigned while the dashboard is open: the card comes live
    await ctl.ok('PUT', '/campaigns/spring/agents/a1');
    const card = agent.getByTestId('campaign-card-spring');
    await card.getByTestId('not-dialed').getByText('1').waitFor();
    await card.getByRole('button', { name: 'Log in to campaign Spring Callbacks' }).click();
    // agent first: the agent's phone rings with the campaign, the page names the contact
    await run.events.waitFor((e) => e.type === 'campaign.call' && e.entryId === entryId && e.state === 'agent_ringing', 15_000, 'agent_ringing');
    const panel = agent.getByTestId('campaign-call');
    await panel.waitFor();
    assert.match(await agent.getByTestId('campaign-call-contact').textContent() ?? '', /Bob Brown · 15550102000/);
    assert.match(await panel.textContent() ?? '', /Campaign Spring Callbacks/);
    await eventually(async () => agentPhone.invites().length === 1, 10_000, 'the agent\'s phone rang');
    // then the customer answers and the two talk
    await run.events.waitFor((e) => e.type === 'campaign.call' && e.entryId === entryId && e.state === 'connected', 20_000, 'connected');
    await panel.getByText('connected').waitFor();
    const details = agent.getByTestId('campaign-call-details');
    assert.match(await details.textContent() ?? '', /cityParis/);
    assert.match(await details.textContent() ?? '', /orderA-1042/);
    await screenshot(agent, 'agent-campaign-call');
    const row = sup.getByTestId(`campaign-call-${entryId}`);
    await row.getByText('connected').waitFor();
    assert.match(await row.textContent() ?? '', /Bob Brown · 15550102000.*Alice Agent/);
    await screenshot(sup, 'campaign-calls-in-progress');

    // the customer hangs up: the call leaves both pages and the entry is handled
    await run.events.waitFor((e) => e.type === 'campaign.call' && e.entryId === entryId && e.state === 'ended', 20_000, 'ended');
    await panel.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    await sup.getByRole('tab', { name: 'Overview' }).click();
    await sup.getByTestId('stat-handled').getByText('1').waitFor();
    assert.equal(await sup.getByTestId('stat-not-dialed').textContent(), '0');
    assert.equal(await sup.getByTestId('stat-percent-dialed').textContent(), '100%');
    await screenshot(sup, 'campaign-overview-handled');
    await card.getByTestId('percent-dialed').getByText('100%').waitFor();
    await sup.getByRole('tab', { name: 'Entries' }).click();
    await sup.getByTestId('entry-15550102000').getByTestId('entry-status').getByText('handled').waitFor();
    // the status filter
    await sup.getByLabel('Filter by status').selectOption('waiting');
    await sup.getByTestId('entries-range').getByText('no entries').waitFor();
    await sup.getByLabel('Filter by status').selectOption('handled');
    await sup.getByTestId('entry-15550102000').waitFor();
    assert.equal(await sup.getByTestId('entries-range').textContent(), '1–1 of 1');
    assert.equal((await ctl.ok('GET', '/campaigns/spring/entries')).entries[0].status, 'handled');
  });
});
