/**
 * Reliability #14: every mutating route of every module writes its audit event, exactly once,
 * with the action its module declares (scenarios and runner in test/audit-scenarios.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCoverageProblems, runAuditScenarios, SCENARIOS } from './audit-scenarios.ts';
import { createTestApp, ENGINES, type TestApp } from './harness.ts';

describe.each(ENGINES)('every mutating route writes its audit event on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  it('covers every mutating route of every module, with actions the module declares', () => {
    expect(auditCoverageProblems(t.app, SCENARIOS)).toEqual([]);
  });

  it('writes exactly the expected event for one successful call of each', async () => {
    expect(await runAuditScenarios(t, SCENARIOS)).toBe(Object.keys(SCENARIOS).length);
  });
});
