import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { After, AfterAll, Status } from '@cucumber/cucumber';
import { AWS_CALL_LOG_VARIABLE } from '../../src/aws/call-recorder.ts';
import { checkAwsCalls, formatIamCheck, loadIamPolicy, parseRecordedCalls } from '../../src/aws/iam/index.ts';
import { requestedTarget } from './target.ts';

/*
 * The least-privilege check over the whole BDD run (docs/egress-service.md, "The IAM role"): every
 * AWS call the egress service makes while the scenarios run is recorded (src/aws/call-recorder.ts)
 * to reports/aws-calls.ndjson (or the file EGRESS_AWS_CALL_LOG names), and after the last scenario
 * each is judged against the original's roles (config/iam/egress-task-role.yml). A call outside
 * them fails the run, and with it `npm test`; the verdicts are in iam-check.txt beside the log.
 *
 * Switched on when this file loads, before any hook starts the sandbox. Only targets whose egress
 * service runs in this process are recorded; an external stack's service is not ours to observe.
 */

/** `EGRESS_IAM_POLICY` names another policy file (test/bdd/iam-check.test.ts proves a denial fails the run). */
const POLICY_FILE = path.resolve(process.env.EGRESS_IAM_POLICY || 'config/iam/egress-task-role.yml');
const inProcess = requestedTarget() !== 'external';

let log: string | undefined;
if (inProcess) {
  // A log named by the caller is kept; otherwise the run's own, emptied first.
  log = process.env[AWS_CALL_LOG_VARIABLE] || path.resolve('reports/aws-calls.ndjson');
  mkdirSync(path.dirname(log), { recursive: true });
  writeFileSync(log, '');
  process.env[AWS_CALL_LOG_VARIABLE] = log;
}

/** Scenarios that ran to a pass: a run where none did (all skipped, e.g. moto not installed) has nothing to judge. */
let passedScenarios = 0;
After((scenario) => {
  if (scenario.result?.status === Status.PASSED) passedScenarios++;
});

AfterAll({ timeout: 30_000 }, async () => {
  if (log && passedScenarios === 0) {
    console.log(
      '\nIAM least-privilege check skipped: no scenario ran to a pass, so no call is to be judged.',
    );
    return;
  }
  if (!log) {
    console.log(
      '\nIAM least-privilege check skipped: EGRESS_TARGET=external runs the egress service elsewhere.',
    );
    return;
  }
  const calls = parseRecordedCalls(await readFile(log, 'utf8'), log);
  const reportFile = path.join(path.dirname(log), 'iam-check.txt');
  const check = checkAwsCalls(calls, await loadIamPolicy(POLICY_FILE));
  const report = formatIamCheck(check, path.relative(process.cwd(), POLICY_FILE));
  await writeFile(reportFile, `${report}\n`);
  if (check.denied.length > 0) {
    throw new Error(`the egress service made AWS calls its original IAM role does not allow:\n${report}`);
  }
  // Scenarios always drive the service; a run without a single recorded call means the recorder broke.
  if (calls.length === 0) throw new Error(`no AWS call of the egress service was recorded in ${log}`);
  console.log(`\n${report.split('\n')[0]} (details: ${path.relative(process.cwd(), reportFile)})`);
});
