import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_KEYS, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('uses documented defaults: port 3000, SQLite under ./data, bcrypt cost 12', () => {
    const c = loadConfig({}, '/srv/steward');
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBe('/srv/steward/data');
    expect(c.database).toEqual({ kind: 'sqlite', file: '/srv/steward/data/steward.sqlite' });
    expect(c.logLevel).toBe('info');
    expect(c.trustProxy).toBe(false);
    expect(c.bcryptCost).toBe(12);
  });

  it('selects PostgreSQL when DATABASE_URL is a postgres URL', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/steward' });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/steward' });
  });

  it('reads TRUST_PROXY as boolean, hop count or address list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.0.0.2' }).trustProxy).toBe('10.0.0.1, 10.0.0.2');
  });

  it('reports every bad value on its own line, naming the variable and its value', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', TRUST_PROXY: 'maybe!' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as Error).message.split('\n').slice(1);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^ {2}PORT="70000": must be between 1 and 65535$/);
    expect(lines.join('\n')).toContain('LOG_LEVEL="loud": must be one of');
    expect(lines.join('\n')).toContain('DATABASE_URL="mysql://x": must be a postgres://');
    expect(lines.join('\n')).toContain('TRUST_PROXY="maybe!"');
  });

  it('refuses a port that is not a number', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT="abc": must be a whole number/);
  });

  it('matches .env.example: every variable listed, each with the default Steward uses', () => {
    const example = readFileSync(path.resolve(import.meta.dirname, '../../.env.example'), 'utf8');
    const listed = Object.fromEntries(
      example
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(listed).sort()).toEqual([...ENV_KEYS].sort());
    const { now: _a, ...fromExample } = loadConfig(listed, '/srv/steward');
    const { now: _b, ...fromNothing } = loadConfig({}, '/srv/steward');
    expect(fromExample).toEqual(fromNothing);
  });
});
