#!/usr/bin/env node
// The package registry this project's machines reach serves only the Linux x64 builds of native
// packages (@swc/core-darwin-arm64 and the like answer 404), so `npm install` writes a lockfile
// without the other platforms' optional packages, and `npm ci` then refuses it as out of sync.
// This adds a stub entry (version, optional, os/cpu from the name) for every optional dependency
// the lockfile lacks. npm ci skips them as foreign platforms. Run after every `npm install`:
//   npm install && node scripts/fix-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'wasm32', 'mips64el'];

let added = 0;
for (const [at, pkg] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    // npm resolves a dependency in the package's own node_modules first, then at the top.
    const nested = `${at ? `${at}/` : ''}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
    const parts = name.split(/[/-]/);
    lock.packages[`node_modules/${name}`] = {
      version: String(range).replace(/^[\^~=]/, ''),
      optional: true,
      ...(parts.some((p) => OS.includes(p)) ? { os: [parts.find((p) => OS.includes(p))] } : {}),
      ...(parts.some((p) => CPU.includes(p)) ? { cpu: [parts.find((p) => CPU.includes(p))] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`fix-lockfile: added ${added} optional platform entries`);
