#!/usr/bin/env node
// Vendors the booth's JavaScript dependencies and pins every script and style of the booth with SRI.
//
//   node scripts/vendor-booth.mjs          copy @noble/curves, @noble/hashes and qr from booth/node_modules (run
//                                          `npm ci --prefix booth` first) into the booth's static/vendor/, then
//                                          rewrite the integrity attributes of every page (same as --sri)
//   node scripts/vendor-booth.mjs --sri    only regenerate the <link rel=modulepreload integrity=…> blocks
//   node scripts/vendor-booth.mjs --check  exit 1 if the vendored files or the integrity attributes are stale
//                                          (the vendor part is skipped when booth/node_modules is absent)
//
// Why the files are rewritten at all: the browser has no package resolver and the booth's CSP forbids the
// inline <script type="importmap"> that would map "@noble/hashes/x.js" to a URL. So the only change made to the
// upstream files is that bare specifier, turned into a relative path; everything else is byte for byte npm's.
// Only the modules reachable from the entry points are copied, so the SRI list covers exactly what can run.
//
// SRI for ES modules: a <script type=module integrity> pins only the entry module; its imports are fetched
// without integrity unless the page preloads them. Each page therefore lists every module of its import graph as
// <link rel="modulepreload" integrity="sha384-…">, which puts the verified response in the module map before
// any import asks for it (HTML spec, "fetch a modulepreload module script graph").
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STATIC = join(ROOT, 'src/plebiscite/booth/static');
const VENDOR = join(STATIC, 'vendor');
const MODULES = join(ROOT, 'booth/node_modules');

// Packages and the entry files the booth imports from them. `licence`: the upstream file vendored as LICENSE (qr is
// "MIT OR Apache-2.0"; the booth takes it under MIT, like noble). qr (paulmillr/qr, noble's author) reads the QR code
// of a credential sheet from a picture or the camera, and draws the QR code of a fake one.
const PACKAGES = [
  { name: '@noble/curves', dir: 'noble-curves', entries: ['ed25519.js'] },
  { name: '@noble/hashes', dir: 'noble-hashes', entries: ['sha2.js', 'utils.js'] },
  { name: 'qr', dir: 'qr', entries: ['index.js', 'decode.js'], licence: 'LICENSE-MIT' },
];

// Static `import … from 'x'`, `export … from 'x'` and bare `import 'x'` statements at the start of a line (so the
// usage examples inside JSDoc comments, which start with " * ", are not taken for imports). The vendored and the
// booth's code have no dynamic import().
const IMPORT_RE = /^[ \t]*(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?(['"])([^'"]+)\1/gm;

export function importsOf(source) {
  const out = [];
  for (const m of source.matchAll(IMPORT_RE)) out.push(m[2]);
  return out;
}

const sri = (data) => 'sha384-' + createHash('sha384').update(data).digest('base64');

// --- vendoring ---------------------------------------------------------------------------------------------------

function packageOf(spec) {
  return PACKAGES.find((p) => spec.startsWith(p.name + '/'));
}

/** The package's own file path of `file` (a package-relative path or its root's name). */
const upstream = (pkg, file) => join(MODULES, pkg.name, file);

/** Files to vendor: Map of destination path (relative to VENDOR) → rewritten source. */
function vendoredFiles() {
  const out = new Map();
  const queue = [];
  for (const p of PACKAGES) for (const e of p.entries) queue.push({ pkg: p, file: e });
  while (queue.length) {
    const { pkg, file } = queue.shift();
    const dest = posix.join(pkg.dir, file);
    if (out.has(dest)) continue;
    let source = readFileSync(join(MODULES, pkg.name, file), 'utf8');
    const deps = [];
    source = source.replace(IMPORT_RE, (whole, quote, spec) => {
      let target;
      if (spec.startsWith('.')) {
        target = { pkg, file: posix.normalize(posix.join(posix.dirname(file), spec)) };
      } else {
        const other = packageOf(spec);
        if (!other) throw new Error(`${pkg.name}/${file}: import of ${spec} is not a vendored package`);
        target = { pkg: other, file: spec.slice(other.name.length + 1) };
      }
      deps.push(target);
      let rel = posix.relative(posix.dirname(dest), posix.join(target.pkg.dir, target.file));
      if (!rel.startsWith('.')) rel = './' + rel;
      return whole.replace(quote + spec + quote, quote + rel + quote);
    });
    out.set(dest, source);
    queue.push(...deps);
  }
  const versions = {};
  for (const p of PACKAGES) {
    const meta = JSON.parse(readFileSync(join(MODULES, p.name, 'package.json'), 'utf8'));
    versions[p.name] = { version: meta.version, license: meta.license, directory: p.dir };
    if (p.licence) versions[p.name].vendored_under = 'MIT (LICENSE is upstream ' + p.licence + ')';
    out.set(posix.join(p.dir, 'LICENSE'), readFileSync(upstream(p, p.licence ?? 'LICENSE'), 'utf8'));
  }
  out.set(
    'VERSIONS.json',
    JSON.stringify(
      {
        comment:
          'Generated by scripts/vendor-booth.mjs from booth/package-lock.json; only bare "@noble/…" import ' +
          'specifiers were rewritten to relative paths (qr has none).',
        packages: versions,
      },
      null,
      2,
    ) + '\n',
  );
  return out;
}

function listFiles(dir, base = dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name), base) : [relative(base, join(dir, d.name)).split('\\').join('/')],
  );
}

function vendor(check) {
  const files = vendoredFiles();
  const present = new Set(listFiles(VENDOR));
  const problems = [];
  for (const [name, text] of files) {
    const path = join(VENDOR, name);
    if (check) {
      if (!present.has(name) || readFileSync(path, 'utf8') !== text) problems.push(`vendor/${name} is stale`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  for (const name of present) {
    if (files.has(name)) continue;
    if (check) problems.push(`vendor/${name} is not produced by vendoring`);
    else rmSync(join(VENDOR, name));
  }
  return problems;
}

// --- SRI ---------------------------------------------------------------------------------------------------------

const BEGIN = '<!-- sri:begin (generated by scripts/vendor-booth.mjs --sri; do not edit) -->';
const END = '<!-- sri:end -->';

/** Every module reachable from `entry` (a path relative to STATIC), entry first, in a stable order. */
export function moduleGraph(entry) {
  const seen = [];
  const visit = (file) => {
    if (seen.includes(file)) return;
    seen.push(file);
    for (const spec of importsOf(readFileSync(join(STATIC, file), 'utf8'))) {
      if (!spec.startsWith('.')) throw new Error(`${file}: bare import ${spec} cannot load in the browser`);
      visit(posix.normalize(posix.join(posix.dirname(file), spec)));
    }
  };
  visit(entry);
  return seen;
}

function pageBlock(html, page) {
  const entry = /<script type="module" src="([^"]+)"/.exec(html);
  const lines = [];
  if (entry) {
    for (const file of moduleGraph(entry[1]).slice(1)) {
      const hash = sri(readFileSync(join(STATIC, file)));
      lines.push(`    <link rel="modulepreload" href="${file}" integrity="${hash}">`);
    }
  } else if (!/<script/.test(html)) {
    return html;
  } else {
    throw new Error(`${page}: a script that is not a module entry`);
  }
  return lines.join('\n');
}

function withSri(html, page) {
  // Pin the entry module and stylesheets on their own tags…
  let out = html.replace(/<script type="module" src="([^"]+)"(?: integrity="[^"]*")?><\/script>/g, (_, src) => {
    return `<script type="module" src="${src}" integrity="${sri(readFileSync(join(STATIC, src)))}"></script>`;
  });
  out = out.replace(/<link rel="stylesheet" href="([^"]+)"(?: integrity="[^"]*")?>/g, (_, href) => {
    return `<link rel="stylesheet" href="${href}" integrity="${sri(readFileSync(join(STATIC, href)))}">`;
  });
  // …and every module below the entry in the generated block.
  const start = out.indexOf(BEGIN);
  const stop = out.indexOf(END);
  if (start < 0 || stop < start) throw new Error(`${page}: missing the ${BEGIN} … ${END} markers`);
  const block = pageBlock(out, page);
  return out.slice(0, start + BEGIN.length) + '\n' + block + '\n    ' + out.slice(stop);
}

function updateSri(check) {
  const problems = [];
  for (const page of readdirSync(STATIC).filter((f) => f.endsWith('.html'))) {
    const path = join(STATIC, page);
    const html = readFileSync(path, 'utf8');
    const next = withSri(html, page);
    if (next === html) continue;
    if (check) problems.push(`${page}: integrity attributes are stale`);
    else writeFileSync(path, next);
  }
  return problems;
}

function main(argv) {
  const check = argv.includes('--check');
  const sriOnly = argv.includes('--sri');
  const problems = [];
  if (!sriOnly) {
    if (existsSync(MODULES)) problems.push(...vendor(check));
    else if (!check) throw new Error('booth/node_modules is missing: run `npm ci --prefix booth` first');
    else console.log('booth/node_modules absent: vendored files not compared with npm');
  }
  problems.push(...updateSri(check));
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log(check ? 'booth: vendored files and SRI are up to date' : 'booth: vendored files and SRI written');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
