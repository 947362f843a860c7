import { test as base, expect, type BrowserContext } from '@playwright/test';

/**
 * Burner's tests: Playwright's, plus a guard that fails any test during which a page reported
 * a Content-Security-Policy violation in its console (the site runs with its CSP on), or the
 * page's WebAssembly panicked (the panic hook writes `panicked at …` to the console).
 */
export const test = base.extend<{ allowCspViolations: boolean; cspGuard: void }>({
  allowCspViolations: [false, { option: true }],
  cspGuard: [
    async ({ browser, context, allowCspViolations }, use) => {
      const violations: string[] = [];
      const panics: string[] = [];
      const watch = (c: BrowserContext) =>
        c.on('console', (message) => {
          const text = message.text();
          if (/Content Security Policy/i.test(text)) violations.push(text);
          if (/panicked at/.test(text)) panics.push(text.split('\n').slice(0, 2).join(' '));
        });
      watch(context);
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const created = await newContext(options);
        watch(created);
        return created;
      };
      await use();
      browser.newContext = newContext;
      expect(panics, 'no page panicked').toEqual([]);
      if (!allowCspViolations) {
        expect(violations, 'no Content-Security-Policy violation in any console').toEqual([]);
      }
    },
    { auto: true },
  ],
});

export { expect };
