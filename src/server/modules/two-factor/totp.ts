/**
 * Time-based one-time codes (RFC 6238: SHA-1, 6 digits, 30-second steps — what every authenticator
 * app reads) through the maintained `otpauth` library, and the recovery codes' format.
 */
import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

const PERIOD = 30;

export function newSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, issuer: string, label: string): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// address and its QR code, for the user's app. */
export async function enrolment(secret: string, issuer: string, label: string) {
  const otpauthUri = totp(secret, issuer, label).toString();
  // Loaded when someone enrols, not held by every server from start-up (qrcode and pngjs).
  const { default: QRCode } = await import('qrcode');
  const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, otpauthUri, qrSvg };
}

/**
 * The time step of `code` when it is valid now (one step of clock drift either way), else null.
 * The caller accepts each step once.
 */
export function codeStep(secret: string, code: string, nowMs: number): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totp(secret, 'Steward', 'user').validate({ token, timestamp: nowMs, window: 1 });
  return delta === null ? null : Math.floor(nowMs / 1000 / PERIOD) + delta;
}

/** The current code (tests and the CLI's checks). */
export function currentCode(secret: string, nowMs: number): string {
  return totp(secret, 'Steward', 'user').generate({ timestamp: nowMs });
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i: read aloud and typed from paper

/** Ten recovery codes like "k7p2m-x9c4d" (31 letters and digits, ten of them: about 49 bits each). */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** A recovery code as stored: lower case, no spaces or dashes, hashed. */
export function recoveryHash(code: string): string {
  return createHash('sha256')
    .update(code.toLowerCase().replace(/[\s-]+/g, ''))
    .digest('hex');
}

export function looksLikeRecoveryCode(code: string): boolean {
  return /^[a-z0-9]{10}$/.test(code.toLowerCase().replace(/[\s-]+/g, ''));
}
