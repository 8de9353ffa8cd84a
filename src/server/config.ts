import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_DISK_THRESHOLDS } from './modules/health/disk-space.ts';

const MB = 1024 * 1024;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const EnvSchema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(3000),
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  STEWARD_DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  DATABASE_URL: z
    .string()
    .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), {
      message: 'must be a postgres:// or postgresql:// URL, or empty for the embedded SQLite database',
    })
    .optional(),
  STEWARD_KEY_DIR: z.string().min(1, 'must not be empty').default('./keys'),
  STEWARD_AUDIT_KEY_FILE: z.string().optional(),
  STEWARD_AUDIT_CHECKPOINT_MINUTES: z.coerce
    .number({ error: 'must be a whole number of minutes' })
    .int('must be a whole number of minutes')
    .min(0, 'must be 0 (off) or more')
    .max(24 * 60, 'must be at most 1440 (a day)')
    .default(10),
  STEWARD_DISK_WARN_FREE_MB: z.coerce
    .number({ error: 'must be a number of megabytes' })
    .min(0, 'must be 0 (off) or more')
    .default(DEFAULT_DISK_THRESHOLDS.freeBytes / MB),
  STEWARD_DISK_WARN_FREE_PERCENT: z.coerce
    .number({ error: 'must be a percentage' })
    .min(0, 'must be between 0 and 100')
    .max(100, 'must be between 0 and 100')
    .default(DEFAULT_DISK_THRESHOLDS.freePercent),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v, ctx): boolean | number | string => {
      const s = v.trim().toLowerCase();
      if (s === 'true') return true;
      if (s === 'false' || s === '') return false;
      if (/^\d+$/.test(s)) return Number(s);
      if (/^[0-9a-f.:/,\s]+$/i.test(s)) return v;
      ctx.addIssue({
        code: 'custom',
        message: 'must be true, false, a number of hops, or a comma-separated list of proxy addresses',
      });
      return z.NEVER;
    }),
});

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  logLevel: (typeof LOG_LEVELS)[number];
  trustProxy: boolean | number | string;
  /** bcrypt cost; 12 in every deployment. Only test harnesses pass a lower cost, never through env. */
  bcryptCost: number;
  audit: {
    /** Ed25519 private key (PEM) that signs audit checkpoints; kept outside the database. Created if missing. */
    keyFile: string;
    /** Checkpoints are also appended here (JSON lines), beside the key, outside the database. */
    checkpointFile: string;
    /** Minutes between automatic checkpoints; 0 = only on demand. */
    checkpointMinutes: number;
  };
  /**
   * Admins are warned when the data directory's volume has less free space than either bound.
   * Optional so that test configurations built by hand keep the defaults.
   */
  diskWarning?: { freeBytes: number; freePercent: number };
  /** Directory of the built web app; absent in API-only tests. */
  webDist: string | null;
  /** Injectable clock (epoch ms). */
  now: () => number;
};

/** Thrown when the environment holds bad values; the message lists each, one per line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates every setting once. Each bad value yields one clear line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0]);
      return `${key}=${JSON.stringify(env[key] ?? '')}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.STEWARD_DATA_DIR);
  // Keys live apart from the database (and its backups): whoever copies one should not get both.
  const keyFile = e.STEWARD_AUDIT_KEY_FILE
    ? path.resolve(cwd, e.STEWARD_AUDIT_KEY_FILE)
    : path.join(path.resolve(cwd, e.STEWARD_KEY_DIR), 'audit-signing-key.pem');
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'sqlite', file: path.join(dataDir, 'steward.sqlite') },
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    bcryptCost: 12,
    audit: {
      keyFile,
      checkpointFile: path.join(path.dirname(keyFile), 'audit-checkpoints.jsonl'),
      checkpointMinutes: e.STEWARD_AUDIT_CHECKPOINT_MINUTES,
    },
    diskWarning: {
      freeBytes: Math.round(e.STEWARD_DISK_WARN_FREE_MB * MB),
      freePercent: e.STEWARD_DISK_WARN_FREE_PERCENT,
    },
    webDist: path.resolve(import.meta.dirname, '../../dist/web'),
    now: Date.now,
  };
}

/** Every environment variable Steward reads (.env.example documents each with its default). */
export const ENV_KEYS = Object.keys(EnvSchema.shape);
