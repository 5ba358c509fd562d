/**
 * The least-privilege check over a BDD run (steps/support/iam-calls.ts) can fail: cucumber run on
 * one feature against a policy that lacks dynamodb:Scan must exit non-zero and name the denied
 * action; against the real policy the same run passes. Each run writes its call log and report to
 * a directory of its own, never over the main run's reports.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT as ROOT, runCucumber } from '../helpers/cucumber.ts';

let home: string;

beforeAll(async () => {
  await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
  home = await mkdtemp(path.join(ROOT, '.tmp', 'iam-check-'));
  await writeFile(
    path.join(home, 'cucumber.mjs'),
    "export default { import: ['steps/**/*.ts'], format: ['summary'], strict: true, forceExit: true };\n",
  );
  const policy = await readFile(path.join(ROOT, 'config/iam/egress-task-role.yml'), 'utf8');
  const withoutScan = policy.replace(/^ {8}- Scan\b.*\n/m, '');
  expect(withoutScan).not.toBe(policy);
  await writeFile(path.join(home, 'no-scan.yml'), withoutScan);
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

async function cucumber(policy: string, log: string): Promise<{ code: number | null; output: string }> {
  const run = runCucumber(path.join(home, 'cucumber.mjs'), ['features/messages.feature'], {
    EGRESS_TARGET: 'embedded',
    EGRESS_IAM_POLICY: policy,
    EGRESS_AWS_CALL_LOG: log,
  });
  return { code: (await run.exited).code, output: run.output() };
}

describe('the IAM check of a BDD run', () => {
  it('fails the run on a call outside the policy, naming it, and passes with the original’s policy', async () => {
    const denied = await cucumber(path.join(home, 'no-scan.yml'), path.join(home, 'denied', 'calls.ndjson'));
    expect(denied.output).toContain('the egress service made AWS calls its original IAM role does not allow');
    expect(denied.output).toMatch(/✗ DENIED\s+task-role\s+dynamodb:Scan/);
    expect(denied.code).not.toBe(0);
    expect(await readFile(path.join(home, 'denied', 'iam-check.txt'), 'utf8')).toMatch(/OUTSIDE/);

    const allowed = await cucumber(
      path.join(ROOT, 'config/iam/egress-task-role.yml'),
      path.join(home, 'allowed', 'calls.ndjson'),
    );
    expect(allowed.output).toMatch(/AWS calls of the egress service checked against .*: all within/);
    expect(allowed.code).toBe(0);
  }, 180_000);
});
