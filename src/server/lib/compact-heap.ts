import { getHeapStatistics } from 'node:v8';

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * One full, memory-reducing garbage collection: at the end of start-up, and when the server has
 * gone quiet (compactWhenQuiet).
 *
 * Loading the modules and building the app allocates tens of MB that die at once; V8 answers by
 * growing its young generation to its maximum (about 34 MB, mostly empty) and keeps it: an idle
 * `steward serve` held 168 MB of RSS, of which 37 MB was this garbage and room. The collection
 * V8 runs before giving up on memory ("last resort") frees it, shrinks the young generation back
 * to 1 MB and returns the pages to the system; V8 grows it again under load. (A plain full
 * collection frees as much inside the heap but keeps the pages: RSS does not move.)
 *
 * `gc` exists only under `--expose-gc`, which `steward serve` passes when it starts Node
 * (bin/steward.mjs). Setting that flag at run time instead (v8.setFlagsFromString) measured up to
 * twice the CPU per request on /healthz afterwards. Without it this does nothing: returns false.
 */
export function compactHeap(): boolean {
  const collect = (globalThis as { gc?: Collect }).gc;
  if (typeof collect !== 'function') return false;
  collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}

/** How often the server looks for a quiet spell, and what counts as one. */
const CHECK_EVERY_MS = 5000;
const QUIET_CHECKS = 4; // 20 s in a row…
const QUIET_CPU_MS = 25; // …each under 0.5 % of one core
const GROWN_BYTES = 4 * 1024 * 1024;

/**
 * Gives memory back when the server has been quiet for 20 s: every 5 s it looks at its CPU time
 * since the last look; after four looks in a row under 0.5 % of a core, if V8's heap has grown by
 * more than 4 MB since the last compaction, one compaction. Busy, or between the bursts of a
 * working day, nothing happens: the next burst would start from a 1 MB young generation and
 * recompile what it runs. An idle server settles back near its start-up size instead of keeping
 * what the last burst grew (up to 32 MB of young generation). One timer, no per-request work.
 * Returns the function that stops it.
 */
export function compactWhenQuiet(): () => void {
  let baseline = getHeapStatistics().total_heap_size;
  let last = process.cpuUsage();
  let quietChecks = 0;
  const timer = setInterval(() => {
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    quietChecks = (used.user + used.system) / 1000 < QUIET_CPU_MS ? quietChecks + 1 : 0;
    if (quietChecks >= QUIET_CHECKS && getHeapStatistics().total_heap_size > baseline + GROWN_BYTES) {
      compactHeap();
      baseline = getHeapStatistics().total_heap_size;
      last = process.cpuUsage();
      quietChecks = 0;
    }
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
