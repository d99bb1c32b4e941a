#!/usr/bin/env node
// Builds the browser modeler and the light diagram viewer into modeler/dist/ with esbuild:
//
//   dist/modeler.js, dist/modeler.css   bpmn-js Modeler + Camunda 7 properties panel + live lint, in Chinese
//   dist/viewer.js,  dist/viewer.css    bpmn-js NavigatedViewer with completed/active/incident markers
//   dist/assets/*                       bpmn-font files referenced by the CSS
//
// The lint configuration is packed at build time from `.bpmnlintrc` at the repository root, the same
// file the server's deploy check uses, with bpmnlint's own compile-config: every enabled rule (bpmnlint's
// and the local `bpmnlint-plugin-platform/` ones) is bundled, so the browser lints with exactly the server's
// rule set. Everything is bundled: no CDN, fonts and CSS included.
//
// Usage: node modeler/build.mjs [--dev] [--quiet] [--analyze]   (--analyze: what takes the space, per package)

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const outdir = path.join(here, 'dist');
const dev = process.argv.includes('--dev');
const quiet = process.argv.includes('--quiet');
const analyze = process.argv.includes('--analyze');

const require = createRequire(path.join(root, 'package.json'));

// -----------------------------------------------------------------------------------------------
// bpmnlint configuration, packed from .bpmnlintrc

/** Directory of a local bpmnlint plugin (`bpmnlint-plugin-x/` at the repository root), if any. */
function localPluginDir(name) {
  const dir = path.join(root, name);
  return fs.existsSync(path.join(dir, 'package.json')) ? dir : null;
}

/** A `require` for bpmnlint's NodeResolver that also finds plugins kept at the repository root. */
function pluginAwareRequire() {
  const base = createRequire(path.join(root, 'package.json'));
  const local = (id) => {
    const m = /^(bpmnlint-plugin-[^/]+)(\/.*)?$/.exec(id);
    const dir = m && localPluginDir(m[1]);
    return dir ? dir + (m[2] || '') : null;
  };
  const req = (id) => {
    try {
      return base(id);
    } catch (err) {
      const alt = local(id);
      if (alt) return base(alt);
      throw err;
    }
  };
  req.resolve = (id) => {
    try {
      return base.resolve(id);
    } catch (err) {
      const alt = local(id);
      if (alt) return base.resolve(alt);
      throw err;
    }
  };
  return req;
}

async function compileLintConfig() {
  const rcFile = path.join(root, '.bpmnlintrc');
  let config;
  if (fs.existsSync(rcFile)) {
    config = JSON.parse(fs.readFileSync(rcFile, 'utf8'));
  } else {
    console.warn('modeler build: no .bpmnlintrc at the repository root; packing bpmnlint:recommended');
    config = { extends: 'bpmnlint:recommended' };
  }
  // as server/bpmn/lint-core.ts reads it: `extends` and `rules` ("//" holds comments)
  const lintConfig = {
    ...(config.extends !== undefined ? { extends: config.extends } : {}),
    ...(config.rules ? { rules: config.rules } : {})
  };

  const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
  const compileConfig = require('bpmnlint/lib/support/compile-config');
  const resolver = new NodeResolver({ require: pluginAwareRequire() });
  const code = await compileConfig(lintConfig, resolver);

  // the rule set, for the build report and for tests comparing with the server
  const { Linter } = require('bpmnlint');
  const linter = new Linter({ resolver });
  const resolved = await linter.resolveConfiguredRules(lintConfig);
  const rules = Object.fromEntries(Object.entries(resolved)
    .map(([ name, value ]) => [ name, linter.parseRuleValue(value).category ])
    .filter(([ , category ]) => category !== 'off'));

  return {
    code: `${code}\nexport const ruleLevels = ${JSON.stringify(rules)};\n`,
    rules,
    watchFiles: fs.existsSync(rcFile) ? [ rcFile ] : []
  };
}

/** esbuild plugin: `import lintConfig from 'virtual:bpmnlint-config'`, and local bpmnlint plugins. */
function bpmnlintPlugin(state) {
  return {
    name: 'bpmnlint-config',
    setup(build) {
      build.onResolve({ filter: /^virtual:bpmnlint-config$/ }, () => ({
        path: 'bpmnlint-config', namespace: 'bpmnlint-config'
      }));
      build.onLoad({ filter: /.*/, namespace: 'bpmnlint-config' }, async () => {
        const packed = await compileLintConfig();
        state.rules = packed.rules;
        return { contents: packed.code, loader: 'js', resolveDir: root, watchFiles: packed.watchFiles };
      });

      // compile-config imports rules as `<plugin>/<path from the plugin's "rules" map>`; resolve those
      // against the plugin's files directly (its package "exports" may map subpaths differently), also
      // when the plugin lives at the repository root without being linked into node_modules
      build.onResolve({ filter: /^bpmnlint-plugin-[^/]+\/.+/ }, (args) => {
        const [ , name, sub ] = /^(bpmnlint-plugin-[^/]+)\/(.+)$/.exec(args.path);
        let dir = null;
        try {
          dir = path.dirname(require.resolve(`${name}/package.json`));
        } catch {
          dir = localPluginDir(name);
        }
        if (!dir) return undefined;
        for (const candidate of [ sub, `${sub}.js`, `${sub}.mjs`, `${sub}.cjs` ]) {
          const file = path.join(dir, candidate);
          if (fs.existsSync(file) && fs.statSync(file).isFile()) return { path: fs.realpathSync(file) };
        }
        return undefined;
      });
    }
  };
}

/**
 * esbuild plugin: @bpmn-io/properties-panel's generic components (groups, lists, list items, FEEL and
 * pop-up editor buttons) fall back to an English `translateFallback` when bpmn-js-properties-panel 5.x
 * does not hand them the `translate` service, which it does not for groups and plain entries. Route
 * that fallback through our dictionary, so "Create", "Toggle section", "<empty>"… are Chinese too.
 * The build fails if the function is not found (a changed dependency must be looked at).
 */
function propertiesPanelTranslatePlugin() {
  const i18n = path.join(here, 'src/i18n/index.js').split(path.sep).join('/');
  return {
    name: 'properties-panel-translate',
    setup(build) {
      build.onLoad({ filter: /[\\/]@bpmn-io[\\/]properties-panel[\\/]dist[\\/]index\.esm\.js$/ }, async (args) => {
        const source = await fs.promises.readFile(args.path, 'utf8');
        const signature = 'function translateFallback(template, replacements) {';
        if (!source.includes(signature)) {
          throw new Error(`${args.path}: translateFallback not found; check the properties panel translation patch`);
        }
        const patched = source.replace(signature,
          `import { translate as __zhTranslate } from ${JSON.stringify(i18n)};\n` +
          'function translateFallback(template, replacements) {\n  return __zhTranslate(template, replacements);\n}\n' +
          'function __englishTranslateFallback(template, replacements) {');
        return { contents: patched, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    }
  };
}

// -----------------------------------------------------------------------------------------------
// build

const state = { rules: {} };
const started = Date.now();

fs.rmSync(outdir, { recursive: true, force: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    modeler: path.join(here, 'src/modeler.js'),
    viewer: path.join(here, 'src/viewer.js')
  },
  outdir,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: [ 'es2022', 'chrome100', 'firefox100', 'safari15.4', 'edge100' ],
  minify: !dev,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: quiet ? 'error' : 'warning',
  define: {
    'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production')
  },
  loader: {
    '.woff': 'file',
    '.woff2': 'file',
    '.ttf': 'file',
    '.eot': 'file',
    '.svg': 'file',
    '.bpmn': 'text'
  },
  assetNames: 'assets/[name]-[hash]',
  plugins: [ bpmnlintPlugin(state), propertiesPanelTranslatePlugin() ]
});

const elapsed = Date.now() - started;

if (analyze) {
  // bytes of each output that come from each package
  for (const [ file, out ] of Object.entries(result.metafile.outputs)) {
    if (!/\.js$/.test(file)) continue;
    const byPkg = {};
    for (const [ input, { bytesInOutput } ] of Object.entries(out.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const pkg = m ? m[1] : input.startsWith('bpmnlint-config') ? '(packed lint config)' : input.split('/').slice(0, 2).join('/');
      byPkg[pkg] = (byPkg[pkg] || 0) + bytesInOutput;
    }
    console.log(`\n${file}`);
    for (const [ pkg, bytes ] of Object.entries(byPkg).sort((a, b) => b[1] - a[1]).slice(0, 25)) {
      console.log(`  ${pkg.padEnd(48)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
    }
  }
}

// -----------------------------------------------------------------------------------------------
// report: sizes of what a browser loads (source maps and license files left out)

function formatSize(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

const rows = Object.keys(result.metafile.outputs)
  .filter((f) => !/\.(map|txt)$/.test(f))
  .map((f) => {
    const buf = fs.readFileSync(path.join(root, f));
    return { file: path.relative(outdir, path.join(root, f)), raw: buf.length, gzip: zlib.gzipSync(buf, { level: 9 }).length };
  })
  .sort((a, b) => a.file.localeCompare(b.file));

const byEntry = (prefix) => rows.filter((r) => r.file.startsWith(prefix));
const sum = (list, key) => list.reduce((a, r) => a + r[key], 0);

if (!quiet) {
  const w = Math.max(...rows.map((r) => r.file.length), 24);
  const line = (a, b, c) => console.log(`${a.padEnd(w)}  ${b.padStart(11)}  ${c.padStart(11)}`);
  line('file', 'raw', 'gzip');
  line('-'.repeat(w), '-'.repeat(11), '-'.repeat(11));
  for (const r of rows) line(r.file, formatSize(r.raw), formatSize(r.gzip));
  line('-'.repeat(w), '-'.repeat(11), '-'.repeat(11));
  const modeler = byEntry('modeler.');
  const viewer = byEntry('viewer.');
  line('modeler page (js + css)', formatSize(sum(modeler, 'raw')), formatSize(sum(modeler, 'gzip')));
  line('viewer (js + css)', formatSize(sum(viewer, 'raw')), formatSize(sum(viewer, 'gzip')));
  line('total', formatSize(sum(rows, 'raw')), formatSize(sum(rows, 'gzip')));
  const levels = Object.values(state.rules);
  console.log(`\nlint rules packed from .bpmnlintrc: ${levels.length} ` +
    `(${levels.filter((l) => l === 'error').length} errors, ${levels.filter((l) => l === 'warn').length} warnings)`);
  console.log(`built modeler/dist in ${(elapsed / 1000).toFixed(2)} s`);
}
