import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Where browser tests save their screenshots (created on launch). */
export const SHOTS = path.resolve('test-output', 'screenshots');

/** Debian's chromium (never a downloaded browser), headless, with nothing that reaches the internet. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
