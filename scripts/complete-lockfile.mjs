// The npm registry this project installs from carries only the Linux builds of packages that
// ship one optional package per platform (Biome). `npm install` then leaves the other
// platforms out of package-lock.json, and `npm ci` refuses the lockfile ("Missing: … from lock
// file"). This adds the missing per-platform entries, marked optional with their os/cpu, so
// `npm ci` accepts the lockfile and skips them on this platform as it would anyway.
// Run after changing dependencies: `npm install && node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const PLATFORM = /-(android|darwin|freebsd|linux|openbsd|win32)-(arm|arm64|ia32|x64)(?:-(musl|gnu|msvc))?$/;
const added = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const m = PLATFORM.exec(name);
    if (lock.packages[key] || !m) continue;
    lock.packages[key] = {
      version,
      cpu: [m[2]],
      ...(entry.dev ? { dev: true } : {}),
      ...(m[3] === 'musl' ? { libc: ['musl'] } : {}),
      ...(entry.license ? { license: entry.license } : {}),
      optional: true,
      os: [m[1]],
    };
    added.push(`${name}@${version} (for ${path})`);
  }
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(file, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(
  added.length ? `added to package-lock.json:\n  ${added.join('\n  ')}` : 'package-lock.json: nothing missing',
);
