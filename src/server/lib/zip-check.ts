/**
 * Checks a ZIP file (an XLSX workbook) before anything inflates it: the central directory's
 * declared sizes must stay under a total and a compression ratio, so a zip bomb is refused
 * while it is still a few kilobytes. The inflating worker's memory ceiling backs this up
 * for archives whose declared sizes lie.
 */

/** Most a workbook may expand to, all entries together. */
export const MAX_UNZIPPED_BYTES = 200 * 1024 * 1024;
/** Highest compression ratio an entry larger than 1 MB may have (spreadsheet XML reaches ~20). */
export const MAX_ZIP_RATIO = 100;
const MAX_ENTRIES = 10_000;

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

/** Why the archive is refused, or null when its declared sizes are acceptable. */
export function zipProblem(data: Buffer): string | null {
  // The end-of-central-directory record sits in the last 22 + 65,535 bytes.
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65_535); i--) {
    if (data.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return 'it is not a complete ZIP archive';
  const entries = data.readUInt16LE(eocd + 10);
  const size = data.readUInt32LE(eocd + 12);
  const offset = data.readUInt32LE(eocd + 16);
  if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) return 'ZIP64 archives are not accepted';
  if (entries > MAX_ENTRIES) return `it holds ${entries} files`;
  if (offset + size > data.length) return 'its directory points outside the file';
  let total = 0;
  let p = offset;
  for (let n = 0; n < entries; n++) {
    if (p + 46 > data.length || data.readUInt32LE(p) !== CENTRAL) return 'its directory is damaged';
    const compressed = data.readUInt32LE(p + 20);
    const uncompressed = data.readUInt32LE(p + 24);
    if (compressed === 0xffffffff || uncompressed === 0xffffffff) return 'ZIP64 archives are not accepted';
    total += uncompressed;
    if (total > MAX_UNZIPPED_BYTES) {
      return `it expands to more than ${MAX_UNZIPPED_BYTES / 1024 / 1024} MB`;
    }
    if (uncompressed > 1024 * 1024 && uncompressed > Math.max(1, compressed) * MAX_ZIP_RATIO) {
      return `a part of it is compressed ${Math.round(uncompressed / Math.max(1, compressed))} to 1 (a zip bomb?)`;
    }
    p += 46 + data.readUInt16LE(p + 28) + data.readUInt16LE(p + 30) + data.readUInt16LE(p + 32);
  }
  return null;
}
