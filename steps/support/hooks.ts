import { After, AfterAll, Before, BeforeAll, Status, setDefaultTimeout } from '@cucumber/cucumber';
import type { TestTarget } from './target.ts';
import { startSandboxTarget } from './targets/embedded.ts';
import { connectExternalTarget } from './targets/external.ts';
import { containerRuntimeUnavailable, startLocalstackTarget } from './targets/localstack.ts';
import type { EgressWorld } from './world.ts';

setDefaultTimeout(60_000);

const requested = (process.env.EGRESS_TARGET ?? 'embedded').toLowerCase();
if (!['embedded', 'localstack', 'external'].includes(requested)) {
  throw new Error(`EGRESS_TARGET=${requested} is not one of embedded, localstack, external`);
}

let primary: TestTarget | undefined;
/** A LocalStack target started on demand for @localstack scenarios of an embedded run. */
let secondary: Promise<TestTarget | undefined> | undefined;
let skipReason: string | undefined;

BeforeAll({ timeout: 300_000 }, async () => {
  if (requested === 'localstack') {
    const missing = await containerRuntimeUnavailable();
    if (missing) throw new Error(`EGRESS_TARGET=localstack was requested, but ${missing}`);
    primary = await startLocalstackTarget();
  } else if (requested === 'external') {
    primary = await connectExternalTarget();
  } else {
    primary = await startSandboxTarget('embedded');
  }
});

AfterAll({ timeout: 120_000 }, async () => {
  await primary?.stop();
  const extra = await secondary;
  await extra?.stop();
});

/** Scenarios that need LocalStack: run there when a container runtime exists, else skip with the reason. */
Before({ tags: '@localstack', timeout: 300_000 }, async function (this: EgressWorld) {
  if (primary?.name === 'localstack') return undefined;
  secondary ??= (async () => {
    skipReason = await containerRuntimeUnavailable();
    if (skipReason) {
      console.log(
        `\n@localstack scenarios skipped: ${skipReason}; set EGRESS_TARGET=localstack where Docker runs to require them.`,
      );
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

After(async function (this: EgressWorld, { result }) {
  if (result?.status === Status.FAILED && this.target) {
    const logs = await this.target.logsSince(this.logMark);
    if (logs) this.attach(logs, { mediaType: 'text/plain', fileName: 'sandbox-logs.ndjson' });
  }
  await this.cleanup();
});
