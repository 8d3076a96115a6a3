// mynotes.mjs - your own notes in a real browser (headless Chromium through
// playwright-core): from the home page, create a note, type in the editor and
// watch the live preview, save with the button (a commit), see the note, its
// history and the diff, find it in the search box marked as yours, then edit
// again and save with Ctrl-S. No page may log an error (a CSP violation would).
// Screenshots of each step, light and dark, desktop and phone.
//
// usage: node mynotes.mjs BASE_URL SHOT_DIR CHROMIUM_PATH PROFILE_DIR
import assert from 'node:assert/strict';
import { openBrowser } from './chromium.mjs';

const [base, shots, executablePath, profile] = process.argv.slice(2);
const { context, page, problems, shot } = await openBrowser(shots, executablePath, profile);
try {
  // Home: "My notes", empty, with a way to write one.
  await page.goto(base + '/');
  await page.locator('h2', { hasText: 'My notes' }).waitFor();
  await page.locator('.my-home').scrollIntoViewIfNeeded();
  await shot(page, 'my-01-home-empty');
  await page.click('.my-home-links a[href="/my/new"]');
  await page.waitForURL(base + '/my/new');

  // Create.
  await page.fill('#my-title', 'Signal delivery, my way');
  await shot(page, 'my-02-new');
  await page.click('.my-new button[type="submit"]');
  await page.waitForURL(base + '/my/signal-delivery-my-way/edit');
  const text = page.locator('#my-text');
  assert.match(await text.inputValue(), /^---\ntitle: "Signal delivery, my way"\ndate: \d{4}-\d\d-\d\d\n---\n# Signal delivery, my way\n/);

  // Edit, and the preview follows.
  await text.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('## Call path\n\nIn `get_signal()`, a fatal signal ends in **do_group_exit**.\n', { delay: 5 });
  await page.locator('#my-preview h2', { hasText: 'Call path' }).waitFor({ timeout: 10000 });
  assert.equal(await page.locator('#my-preview strong').innerText(), 'do_group_exit');
  assert.equal(await page.locator('#my-state').innerText(), 'Unsaved changes');
  await page.fill('#my-message', 'Write down the call path');
  await shot(page, 'my-03-edit-preview');

  // Save: a commit, then the note's page.
  await page.click('#my-save');
  await page.waitForURL(base + '/my/signal-delivery-my-way');
  assert.equal(await page.locator('h1').innerText(), 'Signal delivery, my way');
  assert.equal(await page.locator('.prose h2', { hasText: 'Call path' }).count(), 1);
  assert.equal(await page.locator('a.my-edit-link').count(), 1);
  await shot(page, 'my-04-note');

  // History and the diff of the save.
  await page.click('a[href="/my/signal-delivery-my-way/history"]');
  await page.waitForURL(base + '/my/signal-delivery-my-way/history');
  assert.equal(await page.locator('.commit').count(), 2);
  assert.match(await page.locator('.commit').first().innerText(), /Write down the call path/);
  await shot(page, 'my-05-history');
  await page.locator('.commit a.commit-id').first().click();
  await page.waitForURL(/\/my\/signal-delivery-my-way\/history\/[0-9a-f]{40}$/);
  assert.ok(await page.locator('.d-add', { hasText: 'Call path' }).count() > 0);
  await shot(page, 'my-06-diff');

  // The search box finds it, marked as yours.
  await page.click('#search-box');
  await page.keyboard.type('do_group_exi', { delay: 40 });
  const hit = page.locator('#search-suggest .suggest-item', { hasText: 'Signal delivery, my way' });
  await hit.waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await hit.locator('.kind-mine').count(), 1);
  await shot(page, 'my-07-search');
  await hit.click();
  await page.waitForURL(/\/my\/signal-delivery-my-way/);

  // Edit again, save with Ctrl-S.
  await page.goto(base + '/my/signal-delivery-my-way/edit');
  await page.locator('#my-text').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\nSaved with the keyboard.\n');
  await page.locator('#my-preview p', { hasText: 'Saved with the keyboard.' }).waitFor();
  await page.keyboard.press('Control+s');
  await page.waitForURL(base + '/my/signal-delivery-my-way');
  assert.equal(await page.locator('.prose p', { hasText: 'Saved with the keyboard.' }).count(), 1);
  await page.goto(base + '/my/signal-delivery-my-way/history');
  assert.equal(await page.locator('.commit').count(), 3);

  // The list, and the home page with the note.
  await page.goto(base + '/my');
  assert.equal(await page.locator('.my-row').count(), 1);
  await shot(page, 'my-08-list');
  await page.goto(base + '/');
  assert.equal(await page.locator('.my-home a[href="/my/signal-delivery-my-way"]').count(), 1);
  await page.locator('.my-home').scrollIntoViewIfNeeded();
  await shot(page, 'my-09-home');

  // Dark, and a phone.
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const [url, name] of [['/my/signal-delivery-my-way/edit', 'edit'],
    ['/my/signal-delivery-my-way', 'note'], ['/my/signal-delivery-my-way/history', 'history'],
    ['/my', 'list']]) {
    await page.goto(base + url);
    await shot(page, `my-10-${name}-dark`);
  }
  await page.goto(base + '/');
  await page.locator('.my-home').scrollIntoViewIfNeeded();
  await shot(page, 'my-11-home-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/my/signal-delivery-my-way/edit');
  await shot(page, 'my-12-edit-phone');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 392, `the editor scrolls sideways on a phone (${wide}px)`);
  assert.deepEqual(problems, []);
  console.log('mynotes browser test: ok, screenshots in ' + shots);
} finally {
  await context.close();
}
