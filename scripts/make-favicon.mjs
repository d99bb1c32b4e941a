#!/usr/bin/env node
// Draws server/web/public/favicon.ico (16, 32 and 48 px, PNG entries) from favicon.svg with Debian's chromium, so
// that clients asking for /favicon.ico get the same offline icon the pages link. Run after changing the SVG:
//
//   node scripts/make-favicon.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'server', 'web', 'public');
const svg = readFileSync(path.join(dir, 'favicon.svg'), 'utf8');
const sizes = [16, 32, 48];

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--disable-gpu'] });
const images = [];
try {
  for (const size of sizes) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
    images.push(await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
    await page.close();
  }
} finally {
  await browser.close();
}

// ICONDIR, then one ICONDIRENTRY per image, then the PNG data.
const header = Buffer.alloc(6 + 16 * images.length);
header.writeUInt16LE(0, 0);
header.writeUInt16LE(1, 2);
header.writeUInt16LE(images.length, 4);
let offset = header.length;
images.forEach((png, i) => {
  const at = 6 + 16 * i;
  header.writeUInt8(sizes[i] % 256, at);
  header.writeUInt8(sizes[i] % 256, at + 1);
  header.writeUInt8(0, at + 2);
  header.writeUInt8(0, at + 3);
  header.writeUInt16LE(1, at + 4);
  header.writeUInt16LE(32, at + 6);
  header.writeUInt32LE(png.length, at + 8);
  header.writeUInt32LE(offset, at + 12);
  offset += png.length;
});
writeFileSync(path.join(dir, 'favicon.ico'), Buffer.concat([header, ...images]));
console.log(`favicon.ico: ${sizes.join(', ')} px, ${offset} bytes`);
