#!/usr/bin/env node
// Entry point of the `steward` command. Plain JavaScript so that an old Node gets one clear
// line instead of a syntax error; the CLI itself is TypeScript run by Node's type stripping.
import '../scripts/check-node.mjs';

// `serve` starts Node again in this same process (same pid, same streams) with what must be
// given when Node starts, unless the young generation's size is given already:
// - the young generation capped at 16 MB a half (V8 sizes it by the machine's memory: 64 MB a half
//   on a 24 GB machine). `npm run bench:http`, 10,000 items: the same CPU per request, and RSS
//   after a second identical run 207 MB instead of 285 MB (grown by 19 MB over the first instead
//   of 61–77 MB);
// - glibc's allocator with two arenas instead of one per thread (an idle server 1–2 MB smaller),
//   unless MALLOC_ARENA_MAX is set.
const SEMI_SPACE = '--max-semi-space-size';
if (
  process.argv[2] === 'serve' &&
  typeof process.execve === 'function' &&
  ![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith(SEMI_SPACE))
) {
  process.execve(
    process.execPath,
    [process.execPath, `${SEMI_SPACE}=16`, ...process.execArgv, ...process.argv.slice(1)],
    { MALLOC_ARENA_MAX: '2', ...process.env },
  );
}

// The server runs for days: it loads its sources stripped of types ahead of time, so that Node's
// stripper (about 18 MB) never stays in it. Other commands are short and strip as they load.
if (process.argv[2] === 'serve' && process.env.STEWARD_STRIP_AHEAD !== '0') {
  const { loadStrippedSources } = await import('../scripts/strip-ahead.mjs');
  loadStrippedSources();
}

const { main } = await import('../src/server/cli.ts');
process.exitCode = await main(process.argv.slice(2));
