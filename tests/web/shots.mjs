// shots.mjs - screenshots of the real notes and labs for a person to look at:
// a note with a diagram, a lab page and a search, on a desktop and a phone, light
// and dark. Also checks what the site promises there: diagrams that follow the
// theme and open full size, a closed table of contents on a phone, copy buttons,
// previous/next links, search hits that link to their section, no sideways scroll.
//
// usage: node shots.mjs BASE_URL SHOT_DIR CHROMIUM_PATH PROFILE_DIR
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const [base, shots, executablePath, profile] = process.argv.slice(2);
const problems = [];
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 860 },
});
const sizes = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } };
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  for (const [size, viewport] of Object.entries(sizes)) {
    await page.setViewportSize(viewport);
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const tag = `${size}-${scheme}`;
      await page.goto(base + '/notes/signals');
      await page.screenshot({ path: path.join(shots, `note-top-${tag}.png`) });
      const tocOpen = await page.locator('.toc details').evaluate((d) => d.open);
      assert.equal(tocOpen, size === 'desktop', `${tag}: the table of contents is ${tocOpen ? 'open' : 'closed'}`);
      assert.ok(await page.locator('.codebox button.copy').count() > 0, `${tag}: no copy button`);
      assert.equal(await page.locator('nav.pager a[rel=prev]').count(), 1, `${tag}: no previous link`);
      const diagram = page.locator('.prose a.diagram').first();
      await diagram.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shots, `note-diagram-${tag}.png`) });
      await diagram.click();
      const big = page.locator('.lightbox img');
      await big.waitFor({ state: 'visible' });
      await page.waitForFunction(() => document.querySelector('.lightbox img').complete);
      const w = await big.evaluate((i) => i.getBoundingClientRect().width);
      const small = await diagram.locator('img').evaluate((i) => i.getBoundingClientRect().width);
      assert.ok(w > small, `${tag}: the diagram does not open larger (${w} <= ${small})`);
      await page.screenshot({ path: path.join(shots, `note-diagram-open-${tag}.png`) });
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('.lightbox').count(), 0, `${tag}: Escape leaves the overlay`);
      await page.goto(base + '/labs/netlink-01');
      await page.screenshot({ path: path.join(shots, `lab-${tag}.png`) });
      await page.locator('.prose table').first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shots, `lab-table-${tag}.png`) });
      await page.goto(base + '/search?q=sigqueue');
      await page.screenshot({ path: path.join(shots, `search-${tag}.png`) });
      const href = await page.locator('.result-link').first().getAttribute('href');
      assert.match(href, /^\/notes\/signals#[a-z0-9-]+$/, `${tag}: a hit links to its section`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= viewport.width + 2, `${tag}: the search page scrolls sideways (${wide}px)`);
    }
  }
  assert.deepEqual(problems, []);
  console.log('shots: ok, in ' + shots);
} finally {
  await context.close();
}
