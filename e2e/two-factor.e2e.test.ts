/**
 * Two-step sign-in in a browser (issue 19): the owner turns it on from their account page (QR code
 * and key, first code, recovery codes shown once), signs out, and signs in again with a code;
 * then with a recovery code. axe looks at each new screen; screenshots are saved.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { currentCode } from '../src/server/modules/two-factor/totp.ts';
import { apiAs, axeViolations, createUser, screenshot, setUpSteward, tabTo } from './support.ts';

const ADMIN = { name: 'Tomás Lima', email: 'tomas@example.com', password: 'Two-Step-2026' };

async function signIn(page: Page, url: string) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('two-step sign-in in a browser', () => {
  // Its API client signs in before the owner turns on the second step: it arranges the other tests' users.
  const steward = setUpSteward('stores', ADMIN);

  it('turns on from the account page, then asks for a code at sign-in, and takes a recovery code', async () => {
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    await signIn(page, steward.server.url);
    await page
      .getByRole('heading', { name: /Dashboard|Good|Welcome/ })
      .first()
      .waitFor();
    await page.goto(`${steward.server.url}/account`);
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    await page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set up two-step sign-in' });
    await dialog.getByRole('img', { name: /QR code/ }).waitFor();
    const secret = (await dialog.getByTestId('two-factor-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // A wrong code is said in the field; nothing is turned on.
    await dialog.getByLabel('Code from your app').fill('12345');
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    await dialog.getByText('The code from your app is 6 digits.').waitFor();
    await screenshot(page, 'two-factor-setup');
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByLabel('Code from your app').fill(currentCode(secret, Date.now()));
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    const codesDialog = page.getByRole('dialog', { name: 'Save your recovery codes' });
    const items = codesDialog.getByRole('listitem');
    await items.first().waitFor();
    expect(await items.count()).toBe(10);
    const recovery = (await items.first().textContent()) ?? '';
    await screenshot(page, 'two-factor-recovery-codes');
    expect(await axeViolations(page)).toEqual([]);
    const done = codesDialog.getByRole('button', { name: 'Done' });
    expect(await done.isDisabled()).toBe(true);
    await codesDialog.getByLabel('I have saved these codes').check();
    await done.click();
    await page.getByText('10 recovery codes left.').waitFor();

    // Sign out; signing in now asks for the code.
    await page.context().clearCookies();
    await signIn(page, steward.server.url);
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();
    await screenshot(page, 'two-factor-sign-in');
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Code from your app').fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .getByText(/not right/)
      .waitFor();
    // The step of the code that turned it on was used: wait for the next one.
    const now = Date.now();
    const nextStep = (Math.floor(now / 30_000) + 1) * 30_000;
    await page.waitForTimeout(nextStep - now + 200);
    await page.getByLabel('Code from your app').fill(currentCode(secret, Date.now()));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${steward.server.url}/`);

    // And with a recovery code.
    await page.context().clearCookies();
    await signIn(page, steward.server.url);
    await page.getByRole('button', { name: 'Lost your phone? Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(recovery);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${steward.server.url}/`);
    await page.goto(`${steward.server.url}/account`);
    await page.getByText('9 recovery codes left.').waitFor();
    await page.close();
  }, 120_000);

  it('sets it up and signs in with a recovery code by Tab, Space and Enter alone', async () => {
    const who = await createUser(steward.server.url, steward.owner, {
      name: 'Kai Keys',
      roleKey: 'admin',
      password: 'Keys-Only-2026',
    });
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    const focused = (selector: string) => page.locator(selector).evaluate((el) => el === document.activeElement);
    await page.goto(`${steward.server.url}/login`);
    await page.getByLabel('Email').waitFor();
    await page.keyboard.type(who.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(who.password);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Modules' }).waitFor({ state: 'attached' });
    await page.goto(`${steward.server.url}/account`);
    await page.getByRole('heading', { name: 'Two-step sign-in' }).waitFor();

    // Set up: the dialog's field takes the first code, Enter turns it on.
    await tabTo(page, (el) => el.textContent === 'Set up two-step sign-in' && el.tagName === 'BUTTON');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Set up two-step sign-in' });
    const secret = (await dialog.getByTestId('two-factor-secret').textContent()) ?? '';
    await tabTo(page, (el) => el.getAttribute('inputmode') === 'numeric');
    await page.keyboard.type(currentCode(secret, Date.now()));
    await page.keyboard.press('Enter');
    const codesDialog = page.getByRole('dialog', { name: 'Save your recovery codes' });
    await codesDialog.getByRole('listitem').first().waitFor();
    const recovery = (await codesDialog.getByRole('listitem').nth(3).textContent()) ?? '';
    await tabTo(page, (el) => el.getAttribute('type') === 'checkbox');
    await page.keyboard.press('Space');
    await tabTo(page, (el) => el.textContent === 'Done');
    await page.keyboard.press('Enter');
    await codesDialog.waitFor({ state: 'detached' });
    await page.getByText('10 recovery codes left.').waitFor();

    // Sign in again: the code field has the cursor; a wrong code is said; the recovery code link
    // puts the cursor in the recovery code field, and the old complaint goes.
    await page.context().clearCookies();
    await page.goto(`${steward.server.url}/login`);
    await page.getByLabel('Email').waitFor();
    await page.keyboard.type(who.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(who.password);
    await page.keyboard.press('Enter');
    await page.getByLabel('Code from your app').waitFor();
    expect(await focused('input[autocomplete="one-time-code"]')).toBe(true);
    await page.keyboard.type('000000');
    await page.keyboard.press('Enter');
    await page
      .getByRole('alert')
      .getByText(/not right/)
      .waitFor();
    await tabTo(page, (el) => el.textContent === 'Lost your phone? Use a recovery code');
    await page.keyboard.press('Enter');
    await page.getByLabel('Recovery code').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await focused('input[autocomplete="one-time-code"]')).toBe(true);
    await page.keyboard.type(recovery);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${steward.server.url}/`);
    await page.close();
  }, 60_000);

  it('makes new recovery codes, then turns it off, each proven by a code', async () => {
    const who = await createUser(steward.server.url, steward.owner, {
      name: 'Pia Proof',
      roleKey: 'admin',
      password: 'Proof-Codes-2026',
    });
    // Turned on through the API, so the browser signs in with one of its recovery codes.
    const own = await apiAs(steward.server.url, who.email, who.password);
    const { secret } = await own.send<{ secret: string }>('POST', '/api/v1/auth/two-factor/setup');
    const { recoveryCodes } = await own.send<{ recoveryCodes: string[] }>('POST', '/api/v1/auth/two-factor/confirm', {
      code: currentCode(secret, Date.now()),
    });
    await own.close();
    const [signInCode, renewCode] = recoveryCodes as [string, string];

    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${steward.server.url}/login`);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Lost your phone? Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(signInCode);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${steward.server.url}/`);
    await page.goto(`${steward.server.url}/account`);
    await page.getByText('9 recovery codes left.').waitFor();

    // New codes: an empty field is said in it; a recovery code proves it.
    await page.getByRole('button', { name: 'New recovery codes' }).click();
    const renew = page.getByRole('dialog', { name: 'Make new recovery codes?' });
    await renew.getByRole('button', { name: 'Make new codes' }).click();
    await renew.getByText('Enter the 6-digit code from your app.').waitFor();
    await renew.getByLabel('Code from your app').fill(renewCode);
    await renew.getByRole('button', { name: 'Make new codes' }).click();
    const codesDialog = page.getByRole('dialog', { name: 'Save your recovery codes' });
    await codesDialog.getByRole('listitem').first().waitFor();
    const fresh = (await codesDialog.getByRole('listitem').first().textContent()) ?? '';
    await codesDialog.getByLabel('I have saved these codes').check();
    await codesDialog.getByRole('button', { name: 'Done' }).click();
    await page.getByText('10 recovery codes left.').waitFor();

    // Off: an old code no longer proves anything; a new one does.
    await page.getByRole('button', { name: 'Turn off' }).click();
    const off = page.getByRole('dialog', { name: 'Turn off two-step sign-in?' });
    await off.getByLabel('Code from your app').fill(recoveryCodes[2] as string);
    await off.getByRole('button', { name: 'Turn off' }).click();
    await off.getByText(/not right/).waitFor();
    await off.getByLabel('Code from your app').fill(fresh);
    await off.getByRole('button', { name: 'Turn off' }).click();
    await off.waitFor({ state: 'detached' });
    await page.getByText('Two-step sign-in is off.').waitFor();
    await page.getByRole('button', { name: 'Set up two-step sign-in' }).waitFor();
    await page.close();
  }, 60_000);
});
