#!/usr/bin/env node
// npm postinstall: builds the embedded-database launcher .tools/bin/ferretdb from tools/ferretdb
// (FerretDB v1.24.2, MongoDB wire protocol over SQLite). See docs/DATABASE.md.
//
// - skips when the binary exists and its stamp (.tools/bin/ferretdb.stamp) matches the sources;
// - skips when MONGODB_URI is set (the server then uses that MongoDB);
// - without Go on PATH prints what to do and exits 0, so `npm install` still succeeds
//   (the server and the tests then fail at start-up with the same advice);
// - a failed build also exits 0 with advice, unless FERRETDB_SETUP_STRICT=1 (CI sets it).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'tools', 'ferretdb');
const binDir = path.join(root, '.tools', 'bin');
const binPath = path.join(binDir, 'ferretdb');
const stampPath = path.join(binDir, 'ferretdb.stamp');
const strict = process.env.FERRETDB_SETUP_STRICT === '1';
const MIN_GO = [1, 24];

const log = (msg) => console.log(`[setup-ferretdb] ${msg}`);

const ADVICE =
  'The embedded database (FerretDB) is not built. Either install Go >= 1.24 ' +
  '(https://go.dev/dl/), make sure `go` is on PATH and run `npm install` again, ' +
  'or set MONGODB_URI to a MongoDB server (e.g. MONGODB_URI=mongodb://127.0.0.1:27017/community_bpmn).';

function sourceStamp() {
  const h = createHash('sha256');
  const goFiles = readdirSync(srcDir).filter((f) => f.endsWith('.go')).sort();
  for (const f of ['go.mod', 'go.sum', ...goFiles]) {
    h.update(f).update('\0').update(readFileSync(path.join(srcDir, f))).update('\0');
  }
  const launcher = /const Version = "([^"]+)"/.exec(readFileSync(path.join(srcDir, 'main.go'), 'utf8'));
  return `${launcher ? launcher[1] : 'unknown'} src-sha256:${h.digest('hex').slice(0, 16)}`;
}

function giveUp(reason) {
  log(reason);
  log(ADVICE);
  process.exit(strict ? 1 : 0);
}

function goVersion() {
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim(); // e.g. go1.26.8
}

/** Runs `go build`, echoing its output, printing a progress line every 15 s. Resolves to { code, output }. */
function goBuild(outFile, extraEnv) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      'go',
      ['build', '-trimpath', '-ldflags=-s -w', '-o', outFile, '.'],
      {
        cwd: srcDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          GOFLAGS: '-mod=mod -buildvcs=false',
          CGO_ENABLED: '0',
          FERRETDB_TELEMETRY: 'disable',
          DO_NOT_TRACK: '1',
          ...extraEnv,
        },
      },
    );
    let output = '';
    const echo = (chunk) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) log(`  ${line}`);
    };
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    const timer = setInterval(() => {
      log(`  … still building (${Math.round((Date.now() - started) / 1000)} s)`);
    }, 15000);
    child.on('error', (err) => {
      clearInterval(timer);
      resolve({ code: -1, output: output + String(err) });
    });
    child.on('close', (code) => {
      clearInterval(timer);
      log(`  go build finished in ${Math.round((Date.now() - started) / 1000)} s (exit ${code})`);
      resolve({ code: code ?? -1, output });
    });
  });
}

async function main() {
  const stamp = sourceStamp();

  if (existsSync(binPath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === stamp) {
    log(`.tools/bin/ferretdb is up to date (${stamp}).`);
    return;
  }

  if (process.env.MONGODB_URI && process.env.MONGODB_URI.trim()) {
    log('MONGODB_URI is set: skipping the embedded FerretDB build (the server will use that MongoDB).');
    return;
  }

  const gover = goVersion();
  if (!gover) giveUp('`go` was not found on PATH.');
  const m = /^go(\d+)\.(\d+)/.exec(gover);
  if (m && (Number(m[1]) < MIN_GO[0] || (Number(m[1]) === MIN_GO[0] && Number(m[2]) < MIN_GO[1]))) {
    log(`${gover} is older than go${MIN_GO.join('.')}; Go will try to download a newer toolchain (GOTOOLCHAIN).`);
  }

  log(`Building the embedded FerretDB launcher with ${gover} (FerretDB v1.24.2 over SQLite)…`);
  log('  this takes about a minute the first time (downloading modules and compiling).');
  mkdirSync(binDir, { recursive: true });
  const tmp = path.join(binDir, `ferretdb.tmp-${process.pid}`);

  let result = await goBuild(tmp, {});
  if (result.code !== 0 && /sum\.golang\.org|checksum database/i.test(result.output) && !/SECURITY ERROR/.test(result.output)) {
    log('The Go checksum database seems unreachable; retrying once with GOSUMDB=off (go.sum still verifies the modules).');
    result = await goBuild(tmp, { GOSUMDB: 'off' });
  }
  if (result.code !== 0) {
    rmSync(tmp, { force: true });
    giveUp('Building tools/ferretdb failed (see the go output above).');
  }

  const check = spawnSync(tmp, ['-version'], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(tmp, { force: true });
    giveUp(`The built launcher does not run: ${(check.stderr || String(check.error)).trim()}`);
  }

  renameSync(tmp, binPath);
  writeFileSync(stampPath, `${stamp}\n`);
  log(`Built .tools/bin/ferretdb (${check.stdout.trim()}).`);
}

main().catch((err) => giveUp(`Unexpected error: ${err?.stack ?? err}`));
