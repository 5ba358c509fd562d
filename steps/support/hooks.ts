import { After, AfterAll, AfterStep, Before, BeforeAll, Status, setDefaultTimeout } from '@cucumber/cucumber';
import { requestedTarget, type TestTarget } from './target.ts';
import { startSandboxTarget } from './targets/embedded.ts';
import { connectExternalTarget, externalStateFile } from './targets/external.ts';
import { containerRuntimeUnavailable, planLocalstack, startLocalstackTarget } from './targets/localstack.ts';
import { describeMoto, isMotoEndpoint, startMotoTarget } from './targets/moto.ts';
import type { EgressWorld } from './world.ts';

setDefaultTimeout(60_000);

/** Decided before any scenario runs: an unknown EGRESS_TARGET fails the run at once. */
const requested = requestedTarget();

let primary: TestTarget | undefined;
/** The run's AWS endpoint is moto (EGRESS_TARGET=moto, or an external stack running on moto). */
let onMoto = requested === 'moto';
/** Why every scenario of this run is skipped (EGRESS_TARGET=moto without moto installed). */
let runSkipped: string | undefined;
/** A LocalStack target started on demand for @localstack scenarios of an embedded or external run. */
let secondary: Promise<TestTarget | undefined> | undefined;
const printed = new Set<string>();

/** A skip is never silent, and never repeated for every scenario. */
function printOnce(message: string): void {
  if (printed.has(message)) return;
  printed.add(message);
  console.log(`\n${message}`);
}

BeforeAll({ timeout: 300_000 }, async () => {
  if (requested === 'localstack') {
    const plan = planLocalstack(requested, await containerRuntimeUnavailable());
    if (plan.action === 'fail') throw plan.error;
    primary = await startLocalstackTarget();
  } else if (requested === 'moto') {
    const started = await startMotoTarget();
    if ('skipped' in started) {
      runSkipped = started.skipped;
      console.log(`\n${runSkipped}`);
    } else {
      primary = started.target;
      console.log(`\n${describeMoto(started.moto)}`);
    }
  } else if (requested === 'external') {
    primary = await connectExternalTarget();
    console.log(`\nEGRESS_TARGET=external: scenarios run against the stack in ${externalStateFile()}`);
    onMoto = await isMotoEndpoint(primary.state.aws.endpoint);
    if (onMoto) console.log(`EGRESS_TARGET=external: its AWS endpoint ${primary.state.aws.endpoint} is moto`);
  } else {
    primary = await startSandboxTarget('embedded');
  }
});

AfterAll({ timeout: 120_000 }, async () => {
  await primary?.stop();
  const extra = await secondary;
  await extra?.stop();
});

/** A target that cannot run here skips every scenario: counted as skipped, never a silent pass. */
Before(() => (runSkipped ? 'skipped' : undefined));

/**
 * Scenarios that show where moto differs from AWS (each with its reason and the AWS documentation in
 * docs/targets.md): they run on every other target and are skipped on moto, saying so once.
 */
Before({ tags: '@moto-gap' }, () => {
  if (!onMoto) return undefined;
  printOnce(
    `@moto-gap scenarios skipped on EGRESS_TARGET=${requested}${requested === 'moto' ? '' : ' (its stack runs on moto)'}: ` +
      'moto differs from AWS there (docs/targets.md).',
  );
  return 'skipped';
});

/**
 * Scenarios that need the sandbox in this process (fault knobs on the stub NiFi, an extra SFT
 * agent): an external stack offers neither, so they are skipped there, with the reason printed once.
 */
Before({ tags: '@embedded-only' }, () => {
  if (requested !== 'external') return undefined;
  printOnce(
    '@embedded-only scenarios skipped on EGRESS_TARGET=external: they drive components of a sandbox ' +
      'running in this process (fault injection, extra agents), which an external stack does not expose.',
  );
  return 'skipped';
});

/** Scenarios that need LocalStack: run there when a container runtime exists, else skip with the reason. */
Before({ tags: '@localstack', timeout: 300_000 }, async function (this: EgressWorld) {
  if (primary?.name === 'localstack') return undefined;
  secondary ??= (async () => {
    const plan = planLocalstack(requested, await containerRuntimeUnavailable());
    if (plan.action === 'fail') throw plan.error;
    if (plan.action === 'skip') {
      printOnce(plan.message);
      return undefined;
    }
    return startLocalstackTarget();
  })();
  const target = await secondary;
  if (!target) return 'skipped';
  await this.init(target);
  return undefined;
});

Before(async function (this: EgressWorld) {
  if (!this.target) await this.init(primary!);
});

/**
 * What the sandbox traced since the scenario started (in-process targets), and with `logs` its raw
 * JSON log lines too; each attached once. The reports show it: under the step in the HTML report,
 * in the scenario's <system-out> in the JUnit XML (scripts/test/junit-formatter.ts).
 */
async function attachEvidence(world: EgressWorld, { logs }: { logs: boolean }): Promise<void> {
  if (!world.target) return;
  if (!world.notes.has('traceAttached')) {
    world.notes.set('traceAttached', true);
    const story = world.storySinceStart();
    if (story) world.attach(story, { mediaType: 'text/plain', fileName: 'sandbox-trace.txt' });
  }
  if (logs && !world.notes.has('logsAttached')) {
    world.notes.set('logsAttached', true);
    const lines = await world.target.logsSince(world.logMark);
    if (lines) world.attach(lines, { mediaType: 'text/plain', fileName: 'sandbox-logs.ndjson' });
  }
}

/**
 * A failing step carries what the sandbox logged and traced while its scenario ran: attached here,
 * the evidence shows right under the failure in the HTML report (not folded away with the hooks).
 */
AfterStep({ timeout: 30_000 }, async function (this: EgressWorld, { result }) {
  if (result?.status === Status.FAILED) await attachEvidence(this, { logs: true });
});

After({ timeout: 30_000 }, async function (this: EgressWorld, { result }) {
  // Every scenario carries its trace, so a report shows what happened when it passed too; the
  // logs only when it failed (a failure in a hook has no step to attach them to).
  await attachEvidence(this, { logs: result?.status === Status.FAILED });
  await this.cleanup();
});
