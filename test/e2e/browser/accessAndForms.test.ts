import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { Browser, screenshot, signIn } from '../harness/browser';
import { ADMIN_TOKEN } from '../harness/controller';
import { TestRun } from '../harness/suite';

/** The field's own error, as the page shows it next to the field (data-field-error is the API's path). */
const fieldError = (page: Page, path: string) => page.locator(`[data-field-error="${path}"]`);

describe('browser: sign-in, role limits and the API\'s field errors in every form (headless Chromium)', function () {
  this.timeout(120_000);
  const run = new TestRun();
  let browser: Browser | undefined;

  afterEach(async function () {
    await browser?.close();
    browser = undefined;
    await run.end(this);
  });

  const start = async () => {
    const ctl = await run.start('web-forms', {
      queues: [{ id: 'sales', name: 'Sales Line', extension: '8981' }],
      agents: [{ id: 'a1', name: 'Ann Agent', queues: ['sales'], phone: { mode: 'static', contact: 'sip:a1@127.0.0.1:5999' } }],
      users: [
        { id: 'ada', name: 'Ada Admin', role: 'admin', password: 'ada-web-pass-1' },
        { id: 'al', name: 'Ann Agent', role: 'agent', agentId: 'a1', password: 'al-web-pass-1' },
      ],
    });
    browser = await Browser.launch(`http://127.0.0.1:${ctl.httpPort}`);
    return ctl;
  };

  it('given a wrong password, sign-in is refused with the API\'s answer and no session; the right one signs in', async () => {
    const ctl = await start();
    const page = await browser!.page('/');
    await page.getByLabel('User name').fill('al');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signin-error').getByText('Wrong user name or password.').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as any).localStorage.getItem('acd.session')), null, 'no session kept');
    assert.equal(run.events.all.filter((e) => e.type === 'session.opened').length, 0);
    await screenshot(page, 'sign-in-refused');
    const r = await ctl.request('POST', '/sessions', { username: 'al', password: 'wrong' }, null);
    assert.deepEqual([r.status, r.body.error.code], [401, 'BAD_CREDENTIALS']);
    await page.getByLabel('Password').fill('al-web-pass-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/agent$/);
  });

  it('given an agent signed in, the supervisor and admin pages are not offered nor open, and their API answers 403 to the agent\'s session', async () => {
    await start();
    const page = await browser!.page('/');
    await signIn(page, 'al', 'al-web-pass-1');
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.deepEqual(await nav.getByRole('link').allTextContents(), ['My dashboard']);
    for (const route of ['/supervisor', '/wallboards', '/admin/queues', '/admin/users', '/admin/agents']) {
      await page.goto(`${browser!.origin}${route}`);
      await page.getByTestId('not-allowed').waitFor();
    }
    await screenshot(page, 'agent-not-allowed');
    const statuses = await page.evaluate(async () => {
      const token = (globalThis as any).localStorage.getItem('acd.session');
      const get = async (p: string) => (await fetch(`/api/v1${p}`, { headers: { authorization: `Bearer ${token}` } })).status;
      return { waiting: await get('/stats/waiting'), agents: await get('/agents'), calls: await get('/calls'), wallboards: await get('/wallboards'), users: await get('/users'), own: await get('/agents/a1') };
    });
    assert.deepEqual(statuses, { waiting: 403, agents: 403, calls: 403, wallboards: 403, users: 403, own: 200 });
  });

  it('given bad values, every form shows the API\'s own message at the field, and nothing changes', async () => {
    const ctl = await start();
    const page = await browser!.page('/');
    await signIn(page, 'ada', 'ada-web-pass-1');

    // queues: every setting, drawn from the API's schema; a ring timeout under 5 s and a nested wrap-up value
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('button', { name: '+ New' }).click();
    const q = page.getByRole('form', { name: 'New queue' });
    await q.getByLabel('Id *').fill('billing');
    await q.getByLabel('Name *').fill('Billing');
    await q.getByLabel('Extension *').fill('8982');
    await q.getByLabel('Ring timeout (s)').fill('2');
    await q.getByRole('group', { name: 'Wrap up' }).getByLabel('Sec', { exact: true }).fill('99999');
    await q.getByRole('button', { name: 'Save' }).click();
    await fieldError(page, 'ringTimeoutSec').waitFor();
    await fieldError(page, 'wrapUp.sec').waitFor();
    const queue422 = await ctl.request('POST', '/queues', { id: 'billing', name: 'Billing', extension: '8982', ringTimeoutSec: 2 });
    assert.equal(await fieldError(page, 'ringTimeoutSec').textContent(), queue422.body.error.details.find((d: any) => d.path === 'ringTimeoutSec').message);
    assert.equal((await ctl.request('GET', '/queues/billing')).status, 404, 'nothing created');
    await screenshot(page, 'admin-queue-field-errors');
    await q.getByLabel('Ring timeout (s)').fill('10');
    await q.getByRole('group', { name: 'Wrap up' }).getByLabel('Sec', { exact: true }).fill('15');
    await q.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    assert.deepEqual([(await ctl.ok('GET', '/queues/billing')).ringTimeoutSec, (await ctl.ok('GET', '/queues/billing')).wrapUp.sec], [10, 15]);

    // agents and phones: a static phone with a contact that is no SIP URI
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('button', { name: '+ New' }).click();
    const a = page.getByRole('form', { name: 'New agent' });
    await a.getByLabel('Id *').fill('a2');
    await a.getByLabel('Name *').fill('Bob Agent');
    await a.getByRole('group', { name: 'Phone' }).getByLabel('Mode').selectOption('static');
    await a.getByRole('group', { name: 'Phone' }).getByLabel('Contact *').fill('not-a-uri');
    await a.getByRole('button', { name: 'Save' }).click();
    await fieldError(page, 'phone.contact').getByText(/SIP URI/).waitFor();
    assert.equal((await ctl.request('GET', '/agents/a2')).status, 404);
    await screenshot(page, 'admin-agent-field-error');

    // users: an agent user needs its agent; a short password is refused at the password field
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: '+ New' }).click();
    const u = page.getByRole('form', { name: 'New user' });
    await u.getByLabel('User name').fill('newbie');
    await u.getByLabel('Role').selectOption('agent');
    await u.getByRole('button', { name: 'Save user' }).click();
    await fieldError(page, 'agentId').getByText('an agent user needs agentId').waitFor();
    assert.equal((await ctl.request('GET', '/users/newbie')).status, 404);
    await u.getByLabel('Role').selectOption('supervisor');
    await u.getByRole('button', { name: 'Save user' }).click();
    await page.getByRole('status').getByText('Saved').waitFor();
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Set password' }).click();
    await fieldError(page, 'password').getByText('at least 8 characters').waitFor();
    await screenshot(page, 'admin-users');

    // pause reasons: a code with a space
    await page.getByRole('link', { name: 'Pause reasons' }).click();
    await page.getByLabel('Code').fill('coffee break');
    await page.getByLabel('Name').fill('Coffee');
    await page.getByRole('button', { name: 'Add pause reason' }).click();
    await fieldError(page, 'code').getByText(/a code: letters, digits/).waitFor();
    await screenshot(page, 'admin-pause-reasons');

    // skills: level 9 is not a level
    await page.getByRole('link', { name: 'Skills' }).click();
    await page.getByLabel('Skills of a1').fill('french=9');
    await page.getByTestId('skills-row-a1').getByRole('button', { name: 'Save skills' }).click();
    await page.getByTestId('skills-row-a1').locator('[data-field-error="skills"]').waitFor();
    assert.deepEqual((await ctl.ok('GET', '/agents/a1')).skills, {}, 'unchanged');
    await page.getByLabel('Skills of a1').fill('french=3');
    await page.getByTestId('skills-row-a1').getByRole('button', { name: 'Save skills' }).click();
    await page.getByRole('cell', { name: 'a1 (3)' }).waitFor();
    await screenshot(page, 'admin-skills');

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Save settings' }).waitFor();
    await screenshot(page, 'admin-settings');

    // my account: changing my password with a wrong current one
    await page.getByRole('link', { name: 'Ada Admin' }).click();
    await page.getByLabel('Current password').fill('wrong-current');
    await page.getByLabel('New password').fill('ada-new-pass-2');
    await page.getByRole('button', { name: 'Change password' }).click();
    await fieldError(page, 'currentPassword').getByText('this is not your current password').waitFor();
    await screenshot(page, 'account');
  });

  it('given the app served at /, page paths get the app while the API and /metrics keep their own answers', async () => {
    const ctl = await start();
    const origin = `http://127.0.0.1:${ctl.httpPort}`;
    for (const p of ['/', '/agent', '/wallboards/wb-x', '/wall/wb-x']) {
      const r = await fetch(`${origin}${p}`);
      assert.equal(r.status, 200, p);
      assert.match(await r.text(), /<div id="root"><\/div>/, p);
    }
    const api = await fetch(`${origin}/api/v1/no-such-route`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.deepEqual([api.status, ((await api.json()) as any).error.code], [404, 'ROUTE_NOT_FOUND']);
    const metrics = await fetch(`${origin}/metrics`);
    assert.doesNotMatch(await metrics.text(), /id="root"/, '/metrics is never the app');
  });

  it('given a session signed out elsewhere, the open page goes back to sign-in', async () => {
    const ctl = await start();
    const page = await browser!.page('/');
    await signIn(page, 'al', 'al-web-pass-1');
    const token = await page.evaluate(() => (globalThis as any).localStorage.getItem('acd.session'));
    assert.equal((await ctl.request('DELETE', '/sessions/current', undefined, token)).status, 204);
    assert.equal((await ctl.request('GET', '/sessions/current', undefined, token)).status, 401, 'the session is over for REST');
    assert.equal(run.events.all.filter((e) => e.type === 'token.revoked' && e.userId === 'al').length, 1);
    // the page finds out at its next request or reconnect: a restart of the controller forces one
    await ctl.kill();
    await ctl.launch();
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
  });

  it('given the controller restarts under an open dashboard, the page shows the offline banner, reconnects by itself and is live again', async () => {
    const ctl = await start();
    const page = await browser!.page('/');
    await signIn(page, 'al', 'al-web-pass-1');
    await page.getByTestId('my-queue-sales').getByRole('cell', { name: 'logged out', exact: true }).waitFor();
    assert.equal(await page.getByTestId('offline-banner').count(), 0);
    await ctl.kill();
    await page.getByTestId('offline-banner').waitFor();
    await screenshot(page, 'agent-offline-banner');
    await ctl.launch();
    await page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 20_000 });
    // live again: a change made elsewhere shows without reloading the page
    await ctl.ok('POST', '/agents/a1/login');
    await page.getByTestId('my-queue-sales').getByRole('cell', { name: 'ready', exact: true }).waitFor();
  });

  it('given an agent, the clip upload form shows the API\'s message at the field (keypad and disposition: in the agent dashboard test)', async () => {
    await start();
    const page = await browser!.page('/');
    await signIn(page, 'al', 'al-web-pass-1');
    const clips = page.getByRole('region', { name: 'My audio clips' });
    await clips.getByRole('button', { name: 'Upload' }).click();
    await clips.locator('[data-field-error="name"]').waitFor();
    await screenshot(page, 'agent-clip-field-error');
  });
});
