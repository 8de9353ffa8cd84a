/**
 * Reads an import file in a worker thread (import-worker.ts): parsing a large CSV or XLSX never
 * blocks the server's event loop, and the worker's heap has a ceiling, so a file that would need
 * gigabytes is refused instead of taking the server down.
 */
import { Worker } from 'node:worker_threads';
import { HttpError } from '../http/errors.ts';
import type { ImportAnalysis } from '../modules/inventory/import-rows.ts';

/** The worker's heap ceiling. */
export const IMPORT_MEMORY_MB = 256;
/** The longest a file may take to read. */
export const IMPORT_TIMEOUT_MS = 60_000;
/** Files read at the same time; more are refused with 503 until one finishes. */
export const IMPORT_READERS = 2;

const WORKER = new URL('./import-worker.ts', import.meta.url);
let running = 0;

type Answer = { ok: true; analysis: ImportAnalysis } | { ok: false; status: number; title: string; detail: string };

export async function readImport(data: Buffer): Promise<ImportAnalysis> {
  if (running >= IMPORT_READERS) {
    throw new HttpError(503, 'imports-busy', 'Imports busy', 'Other imports are being read; try again in a moment.');
  }
  running++;
  const worker = new Worker(WORKER, {
    resourceLimits: { maxOldGenerationSizeMb: IMPORT_MEMORY_MB, maxYoungGenerationSizeMb: 32 },
    stdout: true,
    stderr: true,
  });
  try {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new HttpError(413, 'import-too-slow', 'File too large', 'The file took too long to read; split it up.'));
      }, IMPORT_TIMEOUT_MS);
      worker.once('message', (m: Answer) => {
        clearTimeout(timer);
        resolve(m);
      });
      worker.once('error', (err: Error & { code?: string }) => {
        clearTimeout(timer);
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new HttpError(
                413,
                'import-too-large',
                'File too large',
                `Reading the file needs more than the ${IMPORT_MEMORY_MB} MB an import may use; split it into smaller files.`,
              )
            : new HttpError(422, 'not-readable', 'Not readable', 'The file could not be read as a CSV or XLSX table.'),
        );
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        reject(
          new HttpError(422, 'not-readable', 'Not readable', 'The file could not be read as a CSV or XLSX table.'),
        );
      });
      const copy = new Uint8Array(data); // a copy the worker owns (transferred, not cloned)
      worker.postMessage({ data: copy }, [copy.buffer]);
    });
    if (!answer.ok) throw new HttpError(answer.status, 'import-refused', answer.title, answer.detail);
    return answer.analysis;
  } finally {
    running--;
    void worker.terminate();
  }
}
