import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest, openDatabase } from '../src/server/db/database.ts';
import { type Cluster, findPostgresBin, startCluster } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    engines: ('sqlite' | 'postgres')[];
    /** Admin URL of the test PostgreSQL server, '' when PostgreSQL is not tested. */
    pgAdminUrl: string;
    /** Name of a migrated template database that test databases are copied from. */
    pgTemplate: string;
  }
}

let cluster: Cluster | null = null;
let summary = '';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Decides which engines the suite runs on. PostgreSQL comes from TEST_DATABASE_URL, or from a
 * throwaway cluster started here when the server binaries are installed. Under CI=true both
 * engines are mandatory.
 */
export async function setup(project: TestProject): Promise<void> {
  let adminUrl = process.env.TEST_DATABASE_URL ?? '';
  let source = 'TEST_DATABASE_URL';
  // Mutation testing runs the route tests many times over: SQLite alone (STEWARD_TEST_ENGINES=sqlite).
  const sqliteOnly = process.env.STEWARD_TEST_ENGINES === 'sqlite' && process.env.CI !== 'true';
  if (!adminUrl && !sqliteOnly) {
    const bin = findPostgresBin();
    if (bin) {
      cluster = await startCluster(bin);
      adminUrl = cluster.url;
      source = `a throwaway cluster from ${bin}`;
    }
  }
  if (!adminUrl) {
    const why = sqliteOnly
      ? 'STEWARD_TEST_ENGINES=sqlite'
      : 'PostgreSQL server binaries not found (apt-get install postgresql) and TEST_DATABASE_URL not set';
    if (process.env.CI === 'true') throw new Error(`CI=true requires PostgreSQL tests: ${why}.`);
    summary = `Engines: SQLite only. PostgreSQL was SKIPPED: ${why}.`;
    project.provide('engines', ['sqlite']);
    project.provide('pgAdminUrl', '');
    project.provide('pgTemplate', '');
    console.warn(`\n⚠ ${summary}\n`);
    return;
  }
  const template = `steward_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  const database = openDatabase({ kind: 'postgres', url: withDatabase(adminUrl, template) });
  await migrateToLatest(database.db);
  await database.close();
  summary = `Engines: SQLite and PostgreSQL (${source}).`;
  console.log(`\n${summary}\n`);
  project.provide('engines', ['sqlite', 'postgres']);
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
}

export async function teardown(): Promise<void> {
  cluster?.stop();
  console.log(`\n${summary}\n`);
}
