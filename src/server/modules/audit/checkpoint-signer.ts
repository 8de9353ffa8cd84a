import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type SignedCheckpoint = { seq: number; hash: string; at: string; keyId: string; signature: string };

function message(c: { seq: number; hash: string; at: string }): Buffer {
  return Buffer.from(`steward-audit-checkpoint\n${c.seq}\n${c.hash}\n${c.at}`);
}

/**
 * Signs audit checkpoints with an Ed25519 key kept in a file outside the database, so that
 * whoever can rewrite the database cannot also forge checkpoints. The key is created (0600)
 * the first time it is needed. Checkpoints are also appended to a JSON-lines file beside it.
 */
export class CheckpointSigner {
  private readonly keyFile: string;
  private readonly logFile: string;
  private key: { privateKey: KeyObject; publicKey: KeyObject; keyId: string } | null = null;

  constructor(keyFile: string, logFile: string) {
    this.keyFile = keyFile;
    this.logFile = logFile;
  }

  private load() {
    if (this.key) return this.key;
    if (!existsSync(this.keyFile)) {
      mkdirSync(path.dirname(this.keyFile), { recursive: true, mode: 0o700 });
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(this.keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    }
    const privateKey = createPrivateKey(readFileSync(this.keyFile));
    const publicKey = createPublicKey(privateKey);
    const keyId = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    this.key = { privateKey, publicKey, keyId };
    return this.key;
  }

  /** Which key signs (SHA-256 of the public key). */
  keyId(): string {
    return this.load().keyId;
  }

  sign(c: { seq: number; hash: string; at: string }): SignedCheckpoint {
    const { privateKey, keyId } = this.load();
    return { ...c, keyId, signature: sign(null, message(c), privateKey).toString('base64') };
  }

  /** True when this key signed exactly this checkpoint. */
  verify(c: SignedCheckpoint): boolean {
    const { publicKey, keyId } = this.load();
    if (c.keyId !== keyId) return false;
    try {
      return verify(null, message(c), publicKey, Buffer.from(c.signature, 'base64'));
    } catch {
      return false;
    }
  }

  /** Appends a checkpoint to the file outside the database. */
  record(c: SignedCheckpoint): void {
    mkdirSync(path.dirname(this.logFile), { recursive: true, mode: 0o700 });
    appendFileSync(this.logFile, `${JSON.stringify(c)}\n`, { mode: 0o600 });
  }

  /** Checkpoints from the file (unreadable lines are skipped; signatures are checked by the caller). */
  recorded(): SignedCheckpoint[] {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as SignedCheckpoint];
        } catch {
          return [];
        }
      });
  }
}
