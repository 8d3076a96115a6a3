// browser.mjs - klab serve in a real browser: headless Chromium (Debian's) driven
// by playwright-core. Opens the home page, types in the search box, follows a
// suggestion to a note and from the note to its lab, and checks that no page
// logs an error (a CSP violation would); then an identifier page and a source
// file of the lab kernel. Screenshots of each step, light and dark, desktop and
// phone, go to the folder given.
//
// usage: node browser.mjs BASE_URL SHOT_DIR CHROMIUM_PATH PROFILE_DIR
import assert from 'node:assert/strict';
import { openBrowser } from './chromium.mjs';

const [base, shots, executablePath, profile] = process.argv.slice(2);
const { context, page, problems, shot } = await openBrowser(shots, executablePath, profile);
try {
  // Home: topics in order, lab status.
  await page.goto(base + '/');
  await page.waitForSelector('.topic');
  const titles = await page.locator('.topic-title').allTextContents();
  assert.deepEqual(titles.slice(0, 2), ['Alpha locks', 'Beta waits']);
  assert.equal(await page.locator('.lab-row .badge.status-pass').count() > 0, true);
  await shot(page, '01-home');

  // Search as you type.
  await page.click('#search-box');
  await page.keyboard.type('spin_lock_irq', { delay: 40 });
  const first = page.locator('#search-suggest .suggest-item').first();
  await first.waitFor({ state: 'visible', timeout: 10000 });
  assert.match(await first.innerText(), /Alpha locks/);
  assert.equal(await page.locator('#search-suggest mark').count() > 0, true);
  await shot(page, '02-search-suggest');

  // Follow the result to the note.
  await first.click();
  await page.waitForURL(base + '/notes/alpha');
  assert.equal(await page.locator('h1').innerText(), 'Alpha locks');
  assert.equal(await page.locator('.toc a[href="#why-it-matters"]').count(), 1);
  assert.equal(await page.locator('.tok-kw').count() > 0, true);
  assert.equal(await page.locator('.broken-link').count(), 2);
  await shot(page, '03-note');

  // An exercise's answer is folded until its summary is clicked.
  await page.goto(base + '/notes/beta#exercises');
  const fold = page.locator('details.fold');
  assert.equal(await fold.count(), 1);
  assert.equal(await fold.getAttribute('open'), null);
  assert.equal(await fold.locator('p').isVisible(), false);
  await fold.locator('summary').click();
  assert.notEqual(await fold.getAttribute('open'), null);
  assert.equal(await fold.locator('p').isVisible(), true);
  await shot(page, '03b-note-exercise-open');
  await page.goBack();

  // From the note to its lab.
  await page.click('.practice a.lab-chip[href="/labs/modules-01"]');
  await page.waitForURL(base + '/labs/modules-01');
  assert.match(await page.locator('pre.cmd').innerText(), /klab run modules-01/);
  const hint = page.locator('details.hint').first();
  assert.equal(await hint.getAttribute('open'), null);
  await hint.locator('summary').click();
  assert.notEqual(await hint.getAttribute('open'), null);
  assert.equal(await page.locator('.attempt-table tbody tr').count(), 2);
  await shot(page, '04-lab');
  await page.locator('#attempts').scrollIntoViewIfNeeded();
  await shot(page, '05-lab-attempts');

  // The search page with Enter, and the diff between attempts.
  await page.fill('#search-box', 'wait_event');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/search\?q=wait_event/);
  assert.equal(await page.locator('.result').count(), 1);
  await shot(page, '06-search-page');
  await page.goto(base + '/labs/modules-01/diff?from=1&to=2');
  assert.equal(await page.locator('.d-add').count() > 0, true);
  await shot(page, '07-attempt-diff');
  await page.goto(base + '/notes/alpha/history');
  await shot(page, '08-history');

  // Dark mode and a phone.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(base + '/notes/alpha');
  await shot(page, '09-note-dark');
  await page.goto(base + '/');
  await shot(page, '10-home-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/');
  await shot(page, '11-home-phone');
  await page.goto(base + '/notes/alpha');
  await shot(page, '12-note-phone');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 392, `the note page scrolls sideways on a phone (${wide}px)`);
  assert.deepEqual(problems, []);
  // The kernel's source: an identifier and a file, light and dark (the index is linked
  // into the tree's cache by run_browser.py).
  await page.setViewportSize({ width: 1280, height: 860 });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(base + '/ident/ppp_channel_ops.start_xmit');
    assert.ok(await page.locator('text=ppp_async_send').count() > 0, 'no initializer on /ident');
    await shot(page, `14-ident-${scheme}`);
    await page.goto(base + '/source/drivers/net/ppp/ppp_async.c#L110');
    assert.equal(await page.locator('#L110:target').count(), 1, 'line anchor L110 not targeted');
    assert.ok(await page.locator('a[href="/ident/ppp_async_send"]').count() > 0);
    await shot(page, `15-source-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  assert.deepEqual(problems, []);
  const resp = await page.goto(base + '/nope');
  assert.equal(resp.status(), 404);
  await shot(page, '13-not-found');
  console.log('browser test: ok, screenshots in ' + shots);
} finally {
  await context.close();
}
