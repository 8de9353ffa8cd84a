#!/usr/bin/env node
// Entry point of the `steward` command. Plain JavaScript so that an old Node gets one clear
// line instead of a syntax error; the CLI itself is TypeScript run by Node's type stripping.
import '../scripts/check-node.mjs';

const { main } = await import('../src/server/cli.ts');
process.exitCode = await main(process.argv.slice(2));
