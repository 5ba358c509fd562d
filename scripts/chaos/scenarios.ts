import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createBucket } from '../../src/aws/buckets.ts';
import { createDksEgressCrypto } from '../../src/egress/crypto/index.ts';
import { waitFor } from '../../src/util/wait.ts';
import { type AccountingReport, account, type ExpectedOutput } from './accounting.ts';
import { CUT_ATTACKS, type EdgeFixtures, edgeAnswers, rawHttp } from './edge-attacks.ts';
import { failuresOfLogLine } from './failure-records.ts';
import { type SftModes, sftModes } from './file-modes.ts';
import { LEVEL } from './logs.ts';
import { TcpProxy } from './tcp-proxy.ts';
import {
  deterministicBytes,
  extraReference,
  standardWorkload,
  type WorkloadKind,
  withExtraObjects,
} from './workload.ts';
import { type ChaosEnvironment, ChaosWorld, type ChaosWorldOptions } from './world.ts';

/** What a scenario run hands back: the accounting, plus what the scenario itself expected. */
export interface ScenarioOutcome {
  report: AccountingReport;
  /** Problems with the scenario's own expectation (e.g. "every output delivered"); empty when met. */
  problems: string[];
  /** Facts that show the fault really happened (failures seen, when the worker was killed…). */
  evidence: string[];
  durationMs: number;
}

export interface ScenarioContext {
  environment: ChaosEnvironment;
  /** The workload of scenarios that do not need a particular one. */
  workload: WorkloadKind;
  /** Output id → SHA-256 of the clean run of that workload (computed once, on first use). */
  reference(workload: WorkloadKind): Promise<ReadonlyMap<string, string>>;
}

/** A context whose references come from clean runs in `environment`, each run at most once. */
export function scenarioContext(
  environment: ChaosEnvironment,
  workload: WorkloadKind = 'standard',
): ScenarioContext & { cleanOutcomes: Map<WorkloadKind, ScenarioOutcome> } {
  const runs = new Map<WorkloadKind, Promise<Map<string, string>>>();
  const cleanOutcomes = new Map<WorkloadKind, ScenarioOutcome>();
  return {
    environment,
    workload,
    cleanOutcomes,
    reference(kind) {
      if (!runs.has(kind)) {
        runs.set(
          kind,
          cleanRun(environment, kind).then(({ reference, outcome }) => {
            cleanOutcomes.set(kind, outcome);
            return reference;
          }),
        );
      }
      return runs.get(kind)!;
    },
  };
}

export interface Scenario {
  name: string;
  /** The fault, in one line. */
  fault: string;
  /** Runs inside `npm test` too (a few seconds each); the others only in `npm run chaos`. */
  quick: boolean;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Expectation: every output delivered with the clean run's bytes. */
function allDelivered(report: AccountingReport): string[] {
  const other = report.outputs.filter((output) => output.status !== 'delivered');
  return other.length === 0
    ? []
    : [
        `expected every output delivered; ${other.length} not: ${other.map((o) => `${o.output.id} (${o.status})`).join(', ')}`,
      ];
}

/**
 * Expectation: the outputs `refused` selects (those of rules matching a pattern, or any predicate)
 * have `status`, with a reason matching `reason`; the rest are delivered.
 */
function splitOutcome(
  refused: RegExp | ((output: ExpectedOutput) => boolean),
  status: 'dead-lettered' | 'sft-error',
  reason: RegExp,
) {
  const selects =
    typeof refused === 'function' ? refused : (output: ExpectedOutput) => refused.test(output.rule);
  return (report: AccountingReport): string[] => {
    const problems: string[] = [];
    for (const entry of report.outputs) {
      const wanted = selects(entry.output) ? status : 'delivered';
      if (entry.status !== wanted)
        problems.push(`${entry.output.id}: expected ${wanted}, got ${entry.status}`);
      else if (wanted !== 'delivered' && !reason.test(entry.detail)) {
        problems.push(`${entry.output.id}: reason ${JSON.stringify(entry.detail)} does not match ${reason}`);
      }
    }
    return problems;
  };
}

/**
 * Runs one world from creation to accounting: `act` starts services and injects the fault, then the
 * world settles and is judged against the clean run.
 */
async function runWorld(
  context: ScenarioContext,
  name: string,
  options: Omit<ChaosWorldOptions, 'name'>,
  act: (world: ChaosWorld, evidence: string[]) => Promise<void>,
  expectation: (report: AccountingReport) => string[],
  settle: {
    timeoutMs?: number;
    expected?: (world: ChaosWorld) => ExpectedOutput[];
    reference?: WorkloadKind;
  } = {},
): Promise<ScenarioOutcome> {
  const kind = settle.reference ?? context.workload;
  const clean = await context.reference(kind);
  const started = Date.now();
  const world = await ChaosWorld.create(context.environment, {
    name,
    workload: standardWorkload(kind),
    ...options,
  });
  const evidence: string[] = [];
  try {
    const expected = settle.expected ? settle.expected(world) : world.expected();
    // Extra object sets have no clean run: their plain copies must hold their sources' bytes.
    const reference = new Map([...clean, ...extraReference(world.workload, expected)]);
    await act(world, evidence);
    const settled = await world.settle({ expected, timeoutMs: settle.timeoutMs ?? 60_000 });
    if (!settled) evidence.push('the world did not settle before the deadline');
    const report = account(name, expected, await world.observe(), reference);
    const problems = expectation(report);
    const leaked = world.keyMaterialInLogs();
    if (leaked.length > 0)
      problems.push(`${leaked.length} data key(s) or wrapped key(s) appear verbatim in the logs`);
    if (world.keyMaterial.length > 0) {
      evidence.push(
        `logs scanned for ${world.keyMaterial.length} plaintext/wrapped keys: ${leaked.length} found`,
      );
    }
    return { report, problems, evidence, durationMs: Date.now() - started };
  } finally {
    await world.close();
  }
}

/**
 * The clean run: the standard workload with no fault. Its outputs are the reference the other
 * scenarios must reproduce byte for byte, so they are first checked against the sources: plain
 * copies and SFT files equal the source bytes, gzip outputs inflate to them, the control file lists
 * every delivered name.
 */
export async function cleanRun(
  environment: ChaosEnvironment,
  kind: WorkloadKind = 'standard',
): Promise<{ reference: Map<string, string>; outcome: ScenarioOutcome }> {
  const started = Date.now();
  const workload = standardWorkload(kind);
  const name = `clean-${kind}`;
  // The large workload is only used without an agent (worker-sigkill); the ids and bytes are the same.
  const world = await ChaosWorld.create(environment, {
    name,
    workload,
    sft: kind === 'large' ? 'files' : 'agent',
  });
  try {
    const expected = world.expected();
    await world.startService();
    await world.publishFlag();
    const settled = await world.settle({ expected });
    const observation = await world.observe();
    const reference = new Map<string, string>();
    const problems: string[] = settled ? [] : ['the clean run did not settle'];
    const bodies = new Map(workload.objects.map((object) => [object.key, object.body]));
    const bytesOf = async (output: ExpectedOutput): Promise<Buffer | undefined> => {
      const { target } = output;
      if (target.kind === 'sft-file')
        return readFile(path.join(world.sftRoot, target.path)).catch(() => undefined);
      const [bucket, key] =
        target.kind === 's3' ? [target.bucket, target.key] : [target.nifiBucket, target.nifiKey];
      const response = await world.s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        .catch(() => undefined);
      return response ? Buffer.from(await response.Body!.transformToByteArray()) : undefined;
    };
    for (const output of expected) {
      const bytes = await bytesOf(output);
      if (!bytes) {
        problems.push(`clean run: ${output.id} missing`);
        continue;
      }
      reference.set(output.id, sha256(bytes));
      const source = output.source ? bodies.get(output.source.key) : undefined;
      if (source) {
        const content = output.rule.endsWith('|S3GZ') ? gunzipSync(bytes) : bytes;
        if (!content.equals(source))
          problems.push(`clean run: ${output.id} does not hold its source's bytes`);
      } else if (output.kind === 'control') {
        // Every delivered name of the rule, in listing (key) order.
        const names = expected
          .filter((other) => other.rule === output.rule && other.source)
          .sort((a, b) => (a.source!.key < b.source!.key ? -1 : 1))
          .map(({ target }) =>
            target.kind === 's3' ? target.key.slice(target.key.lastIndexOf('/') + 1) : '',
          );
        if (bytes.toString() !== names.map((name) => `${name}\n`).join('')) {
          problems.push('clean run: the control file does not list every delivered object');
        }
      } else if (output.kind === 'manifest') {
        const lines = gunzipSync(bytes).toString().trim().split('\n');
        if (lines.length !== bodies.size) problems.push(`clean run: the manifest has ${lines.length} lines`);
      }
    }
    const report = account(name, expected, observation, reference);
    problems.push(...allDelivered(report));
    if (world.keyMaterialInLogs().length > 0) problems.push('clean run: key material appears in the logs');
    return {
      reference,
      outcome: {
        report,
        problems,
        evidence: [`${reference.size} outputs checked against their sources`],
        durationMs: Date.now() - started,
      },
    };
  } finally {
    await world.close();
  }
}

/** Waits for at least `count` recorded failures whose reason matches `pattern`. */
function failuresMatching(world: ChaosWorld, pattern: RegExp, count = 1, timeoutMs = 30_000) {
  return waitFor(
    () => {
      const matching = world.failures.filter((failure) => pattern.test(failure.reason));
      return matching.length >= count ? matching : undefined;
    },
    { timeoutMs, description: `${count} failure(s) matching ${pattern} in ${world.id}` },
  );
}

/** Resolves at the first write the edge sees into `bucket` (any method; `keyPart` narrows it), described. */
function firstWriteInto(
  world: ChaosWorld,
  bucket: string,
  keyPart = '',
  timeoutMs = 60_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no write into ${bucket} within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = world.environment.edge.onS3Write((record) => {
      if (record.bucket !== bucket || !(record.key ?? '').includes(keyPart)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(`${record.method} ${record.key ?? ''} → ${record.status}`);
    });
  });
}

/**
 * Issue 12, items 1, 5 and 6 while a flag is processed: every service's requests cut at every point
 * (edge-attacks.ts), three long polls on the work queue cut while they wait, a cross-site
 * DeleteObjects of every source object, a DNS-rebinding read, and a PUT of
 * `/<destination>/../<source>/<flag>`. Returns the problems found (each must be refused or harmless).
 */
async function hostileClients(world: ChaosWorld, evidence: string[]): Promise<string[]> {
  const problems: string[] = [];
  const { edge } = world.environment;
  const endpoint = edge.endpoint;
  const sourceBucket = world.targets.sourceBucket;
  const destinationBucket = world.targets.destinationBucket;
  const largest = [...world.workload.objects].sort((a, b) => b.body.length - a.body.length)[0]!;
  const fixtures: EdgeFixtures = {
    region: edge.region,
    bucket: sourceBucket,
    largeObjectKey: largest.key,
    // Cut sends would land malformed bodies on the work queue; they go to a queue of their own.
    queueUrl: (await world.sqs.send(new CreateQueueCommand({ QueueName: `${world.id}-attacks` }))).QueueUrl!,
    table: world.table,
    hashKey: 'source_prefix',
  };
  const announced: string[] = [];
  const flagEvents = () => {
    let count = 0;
    const stop = edge.onNotification((record) => {
      if (record.bucket !== sourceBucket) return;
      announced.push(record.key);
      if (record.key === world.workload.flag) count += 1;
    });
    return { count: () => count, stop };
  };
  const flags = flagEvents();
  try {
    await world.startService();
    const published = world.publishFlag();
    for (const attack of CUT_ATTACKS) {
      await attack.run(
        endpoint,
        attack.operation.startsWith('ReceiveMessage') ? { ...fixtures, queueUrl: world.queueUrl } : fixtures,
      );
      if (!(await edgeAnswers(endpoint)))
        problems.push(
          `the edge stopped answering after ${attack.service} ${attack.operation} cut ${attack.cut}`,
        );
    }
    const poll = CUT_ATTACKS.find(
      (a) => a.operation.startsWith('ReceiveMessage') && a.cut === 'before-answer',
    )!;
    await Promise.all([1, 2, 3].map(() => poll.run(endpoint, { ...fixtures, queueUrl: world.queueUrl })));
    evidence.push(
      `${CUT_ATTACKS.length} cut requests (S3, SQS, DynamoDB, SSM, STS) + 3 cut long polls on the work queue; the edge answered after each`,
    );

    const keys = world.workload.objects.map((object) => `<Object><Key>${object.key}</Key></Object>`).join('');
    const deletion = await rawHttp(endpoint, {
      method: 'POST',
      path: `/${sourceBucket}?delete`,
      headers: { origin: 'http://evil.example', 'content-type': 'text/plain' },
      body: `<Delete>${keys}</Delete>`,
    });
    if (deletion.status !== 403) problems.push(`a cross-site DeleteObjects was answered ${deletion.status}`);
    const rebound = await rawHttp(endpoint, {
      method: 'GET',
      path: `/${sourceBucket}/${largest.key}`,
      headers: { host: `evil.example:${edge.port}` },
    });
    if (rebound.status !== 403) problems.push(`a DNS-rebinding GET was answered ${rebound.status}`);
    evidence.push(
      `cross-site DeleteObjects of ${world.workload.objects.length} source objects: ${deletion.status}; rebinding GET: ${rebound.status}`,
    );

    const trick = `/${destinationBucket}/../${sourceBucket}/${world.workload.flag}`;
    const tricked = await rawHttp(endpoint, { method: 'PUT', path: trick, body: 'not a flag of source' });
    // Keys that normalise to the workload's flag; taken literally, as S3 does, they match no rule.
    const [head, ...tail] = world.workload.flag.split('/');
    const dotted = [`${head}/./${tail.join('/')}`, `${head}/x/../${tail.join('/')}`];
    for (const key of dotted) {
      const put = await rawHttp(endpoint, { method: 'PUT', path: `/${sourceBucket}/${key}`, body: '' });
      if (put.status !== 200) problems.push(`PUT of ${key} was answered ${put.status}`);
    }
    await published;
    await world.settle({ expected: world.expected(), timeoutMs: 60_000 });
    if (flags.count() !== 1)
      problems.push(
        `${flags.count()} events announced ${sourceBucket}/${world.workload.flag}; one flag was uploaded there`,
      );
    const literal = dotted.filter((key) => announced.includes(key));
    if (literal.length !== dotted.length)
      problems.push(
        `events announced ${JSON.stringify(announced)}; expected ${JSON.stringify(dotted)} among them`,
      );
    evidence.push(
      `PUT ${trick}: ${tricked.status}; PUTs of ${dotted.join(', ')}: announced literally ${literal.length} of ${dotted.length}; events for the source flag: ${flags.count()}`,
    );
    // The object is the attack's residue in the destination bucket (stored under its literal key), not an output.
    await world.s3.send(
      new DeleteObjectCommand({
        Bucket: destinationBucket,
        Key: `../${sourceBucket}/${world.workload.flag}`,
      }),
    );
  } finally {
    flags.stop();
  }
  return problems;
}

/**
 * Issue 12 item 9 after a run: every file under the world's sftRoot 0600, every directory 0700.
 * Adds one line of evidence; an empty sftRoot is a problem too (nothing was checked).
 */
async function checkSftModes(world: ChaosWorld, what: string, evidence: string[]): Promise<SftModes> {
  const found = await sftModes(world.sftRoot);
  const umask = process.umask().toString(8).padStart(4, '0');
  evidence.push(
    `${what}: ${found.files} files 0600, ${found.directories} directories 0700 (umask ${umask}); ${found.problems.length} other modes`,
  );
  if (found.files + found.directories === 0) found.problems.push('nothing under sftRoot to check');
  return found;
}

/** Issue 12 item 3: names the SFT agent never sends (hidden, being written). */
const IGNORED_NAMES = ['.x', 'x.tmp', 'x.partial'] as const;

/**
 * Issue 12 item 8 and S12-10: valid names that are long in bytes or not ASCII. 244 bytes of
 * Cyrillic (122 characters) failed when temporary names were capped in UTF-16 units; 255 bytes is
 * the longest a file system allows. The decomposed `é` must arrive decomposed (no normalisation).
 */
const NON_ASCII_NAMES = [
  `${'д'.repeat(120)}.csv`,
  `${'д'.repeat(125)}.data`,
  'отчёт за 2026.csv',
  'Σύνοψη Ζυρίχη.csv',
  '日本語のレポート.csv',
  '📊 totals.csv',
  'cafe\u0301 menu.csv',
] as const;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'bucket-missing',
    fault: 'the destination bucket does not exist at first; it is created after the first failures',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'bucket-missing',
        { createDestinationBucket: false },
        async (world, evidence) => {
          await world.startService();
          await world.publishFlag();
          const failures = await failuresMatching(world, /NoSuchBucket|does not exist/i);
          evidence.push(
            `${failures.length} object failure(s) before the bucket existed: ${failures[0]!.reason}`,
          );
          await waitFor(() => world.processed.some((event) => event.action === 'retained'), {
            description: 'the message to be left for retry',
          });
          await createBucket(world.s3, world.targets.destinationBucket);
          evidence.push('bucket created; the redelivered message completes');
        },
        allDelivered,
      ),
  },
  {
    name: 'sft-unwritable',
    fault:
      'the SFT directory cannot be created (a regular file stands where data-egress/ should be), then it is fixed',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'sft-unwritable',
        { sft: 'files' },
        async (world, evidence) => {
          const blocker = path.join(world.sftRoot, 'data-egress');
          await writeFile(blocker, 'not a directory');
          await world.startService();
          await world.publishFlag();
          const failures = await failuresMatching(world, /ENOTDIR|EEXIST|not a directory/i);
          evidence.push(`SFT writes refused while blocked: ${failures[0]!.reason}`);
          await waitFor(() => world.processed.some((event) => event.action === 'retained'), {
            description: 'the message to be left for retry',
          });
          await rm(blocker);
          evidence.push('blocker removed; the redelivered message completes');
        },
        allDelivered,
      ),
  },
  {
    name: 'sft-unwritable-for-good',
    fault: 'the SFT directory stays uncreatable: the message ends in the DLQ, the S3 rules still deliver',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'sft-blocked',
        { sft: 'files', maxReceiveCount: 2 },
        async (world, evidence) => {
          const blocker = path.join(world.sftRoot, 'data-egress');
          await writeFile(blocker, 'not a directory');
          await world.startService();
          await world.publishFlag();
          await waitFor(async () => (await world.queueDepth(world.deadLetterQueueUrl)).visible > 0, {
            timeoutMs: 45_000,
            description: 'the message to reach the DLQ',
          });
          evidence.push(
            `${world.processed.filter((event) => event.action === 'retained').length} attempts retained`,
          );
          // The blocker is the fault, not an output: it goes before the accounting looks.
          await rm(blocker);
        },
        splitOutcome(/\|SFT$/, 'dead-lettered', /ENOTDIR|EEXIST|not a directory/i),
      ),
  },
  {
    name: 'nifi-down',
    fault: 'the stub NiFi is down for good: SFT files end in the error folder with a sidecar',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'nifi-down',
        { sftTimings: { redeliveryDelayMs: 200, maximumRedeliveries: 2, maximumRedeliveryDelayMs: 400 } },
        async (world, evidence) => {
          await world.stopNifi();
          await world.startService();
          await world.publishFlag();
          evidence.push('NiFi stopped before the flag');
        },
        splitOutcome(/\|SFT$/, 'sft-error', /ECONNREFUSED|connect|refused/i),
      ),
  },
  {
    name: 'nifi-flaky',
    fault: 'the stub NiFi answers 503 to its next 6 requests, then recovers',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'nifi-flaky',
        {},
        async (world, evidence) => {
          world.nifi!.faults.failNext(6, 503);
          let retries = 0;
          world.agent!.on('retrying', () => {
            retries += 1;
          });
          await world.startService();
          await world.publishFlag();
          await waitFor(() => retries >= 1, { description: 'the agent to retry' });
          evidence.push('the agent retried after 503s');
        },
        allDelivered,
      ),
  },
  {
    name: 'nifi-slow',
    fault:
      'every NiFi request waits 2 s while the agent gives up after 1 s; the latency is removed after the first retry',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'nifi-slow',
        { sftTimings: { requestTimeoutMs: 1_000, maximumRedeliveries: 6, maximumRedeliveryDelayMs: 2_000 } },
        async (world, evidence) => {
          world.nifi!.faults.setLatency(2_000);
          const firstRetry = new Promise<string>((resolve) =>
            world.agent!.once('retrying', (event) => resolve(event.reason)),
          );
          await world.startService();
          await world.publishFlag();
          evidence.push(`agent retried: ${await firstRetry}`);
          world.nifi!.faults.setLatency(0);
        },
        allDelivered,
      ),
  },
  {
    name: 'duplicate-flag',
    fault: 'the same flag is published twice, the second while the first is being processed',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'dup-flag',
        {},
        async (world, evidence) => {
          await world.startService();
          const write = firstWriteInto(world, world.targets.destinationBucket);
          await world.publishFlag();
          await write;
          await world.publishFlag();
          await waitFor(() => world.processed.filter((event) => event.flagKeys.length > 0).length >= 2, {
            timeoutMs: 45_000,
            description: 'both flag messages to be processed',
          });
          evidence.push(
            `flag messages processed: ${world.processed
              .filter((event) => event.flagKeys.length > 0)
              .map((event) => `${event.action}/${event.reason}`)
              .join(', ')}`,
          );
        },
        allDelivered,
      ),
  },
  {
    name: 'two-flags',
    fault:
      'two flags for the same rule prefix at once (two messages egressing the same objects concurrently)',
    quick: true,
    run: (context) => {
      const second = 'chaos/data/db.extra-pipeline_success.flag';
      return runWorld(
        context,
        'two-flags',
        {},
        async (world, evidence) => {
          await world.startService();
          await Promise.all([world.publishFlag(), world.publishFlag(second)]);
          await waitFor(() => world.processed.filter((event) => event.flagKeys.length > 0).length >= 2, {
            timeoutMs: 45_000,
            description: 'both flag messages to be processed',
          });
          evidence.push(
            `messages: ${world.processed
              .filter((event) => event.flagKeys.length > 0)
              .map((event) => `${event.flagKeys.join('+')} ${event.action}`)
              .join(', ')}`,
          );
        },
        allDelivered,
        {
          expected: (world) =>
            world.expected().map((output) => ({ ...output, flags: [...output.flags, second] })),
        },
      );
    },
  },
  {
    name: 'dks-503',
    fault: 'the DKS answers 503 to its next 6 calls (HTME objects, each under its own data key, decrypted)',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'dks-503',
        {},
        async (world, evidence) => {
          const dks = world.dks!;
          dks.faults.failNext(6, 503);
          await world.startService();
          await world.publishFlag();
          await waitFor(() => dks.requests.filter((request) => request.status === 503).length >= 6, {
            description: 'six DKS calls to be answered 503',
          });
          evidence.push(
            '6 DKS calls answered 503; the service retried them with back-off (default client settings)',
          );
        },
        allDelivered,
        { reference: 'htme' },
      ),
  },
  {
    name: 'dks-timeout',
    fault:
      'every DKS call takes 1.5 s against a 0.4 s client timeout (2 attempts): the objects fail, the message is retried, the DKS recovers',
    quick: true,
    run: (context) =>
      runWorld(
        context,
        'dks-timeout',
        {},
        async (world, evidence) => {
          const dks = world.dks!;
          dks.faults.setLatency(1_500);
          const settings = world.serviceConfig().dks as Parameters<typeof createDksEgressCrypto>[0];
          const owned = await createDksEgressCrypto(settings, {
            logger: world.logs.logger.child({ component: 'egress' }),
            client: { timeoutMs: 400, retry: { attempts: 2, initialDelayMs: 100 } },
          });
          world.cleanups.push(() => owned.close());
          await world.startService({}, { crypto: owned.crypto });
          await world.publishFlag();
          const failures = await failuresMatching(world, /no response within/);
          evidence.push(`objects failed while the DKS was slow: ${failures[0]!.reason}`);
          await waitFor(() => world.processed.some((event) => event.action === 'retained'), {
            description: 'the message to be left for retry',
          });
          dks.faults.setLatency(0);
          evidence.push('latency removed; the redelivered message completes');
        },
        allDelivered,
        { reference: 'htme' },
      ),
  },
  {
    name: 'edge-hostile-clients',
    fault:
      'hostile clients while a flag is processed: requests cut at every point for S3, SQS, DynamoDB, SSM and STS, cut long polls on the work queue, a cross-site DeleteObjects, a DNS-rebinding GET, a PUT of /<destination>/../<source>/<flag>, flags whose ./ and ../ segments normalise to the real one',
    quick: true,
    run: (context) => {
      const problems: string[] = [];
      return runWorld(
        context,
        'hostile',
        {},
        async (world, evidence) => {
          problems.push(...(await hostileClients(world, evidence)));
        },
        (report) => [...allDelivered(report), ...problems],
      );
    },
  },
  {
    name: 'edge-restart',
    fault:
      'the edge goes away mid-transfer (listener closed, every connection reset) for 3 s and comes back on the same port with its state',
    quick: false,
    run: async (context) => {
      const proxy = await TcpProxy.start(context.environment.edge.endpoint);
      try {
        return await runWorld(
          context,
          'edge-restart',
          {
            awsEndpoint: proxy.endpoint,
            sftTimings: { maximumRedeliveries: 8, maximumRedeliveryDelayMs: 2_000 },
          },
          async (world, evidence) => {
            await world.startService();
            const write = firstWriteInto(world, world.targets.destinationBucket);
            await world.publishFlag();
            evidence.push(`first destination write: ${await write}`);
            await proxy.down();
            evidence.push(`edge down: ${proxy.stats.reset} connection(s) reset`);
            // The length of the outage is the fault itself, not a wait for a condition.
            await delay(3_000);
            await proxy.up();
            evidence.push('edge back on the same port');
          },
          allDelivered,
          { timeoutMs: 90_000 },
        );
      } finally {
        await proxy.stop();
      }
    },
  },
  {
    name: 'worker-sigkill',
    fault:
      'the egress worker (node bin/egress.js service) is SIGKILLed mid-transfer; a second worker finishes after the visibility timeout',
    quick: false,
    run: (context) =>
      runWorld(
        context,
        'sigkill',
        { sft: 'files' },
        async (world, evidence) => {
          const first = world.spawnService('worker-a');
          await first.waitForOutput(/egress service running/);
          // Killed while the 24 MiB object is being uploaded in parts: certainly mid-transfer.
          const write = firstWriteInto(world, world.targets.destinationBucket, 'huge.bin');
          await world.publishFlag();
          const firstWrite = await write;
          first.child.kill('SIGKILL');
          const killedAt = Date.now();
          const exit = await first.exited;
          const delivered = (await world.listKeys(world.targets.destinationBucket)).length;
          evidence.push(
            `worker-a killed (${exit.signal}) at ${firstWrite}, with ${delivered} of 30 S3 outputs written`,
          );
          const second = world.spawnService('worker-b');
          await second.waitForOutput(/egress service running/);
          const resumed = firstWriteInto(world, world.targets.destinationBucket);
          await resumed;
          evidence.push(
            `worker-b resumed the message ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
          );
        },
        allDelivered,
        { timeoutMs: 120_000, reference: 'large' },
      ),
  },
  {
    name: 'worker-sigterm',
    fault:
      'the egress worker is restarted mid-transfer: SIGTERM (drain within EGRESS_SHUTDOWN_TIMEOUT_MS=1000, then abort), and a new worker starts',
    quick: false,
    run: (context) =>
      runWorld(
        context,
        'sigterm',
        { sft: 'files' },
        async (world, evidence) => {
          const first = world.spawnService('worker-a', { EGRESS_SHUTDOWN_TIMEOUT_MS: '1000' });
          await first.waitForOutput(/egress service running/);
          const write = firstWriteInto(world, world.targets.destinationBucket, 'huge.bin');
          await world.publishFlag();
          const firstWrite = await write;
          first.child.kill('SIGTERM');
          const exit = await first.exited;
          evidence.push(
            `worker-a stopped by SIGTERM at ${firstWrite}: exit code ${exit.code}, signal ${exit.signal}`,
          );
          if (exit.code !== 0) throw new Error(`worker-a did not stop cleanly: ${JSON.stringify(exit)}`);
          const second = world.spawnService('worker-b');
          await second.waitForOutput(/egress service running/);
        },
        allDelivered,
        { timeoutMs: 120_000, reference: 'large' },
      ),
  },
  // ── issue 12: symbolic links at directory level, the AWS endpoint down ──
  {
    name: 'sft-dir-link',
    fault:
      'data-egress/sas (the SFT route directory) is replaced by a link to a folder outside sftRoot; the agent is restarted while it is there; then it is fixed',
    quick: false,
    run: (context) =>
      runWorld(
        context,
        'sft-dir-link',
        { maxReceiveCount: 2 },
        async (world, evidence) => {
          const sas = path.join(world.sftRoot, 'data-egress', 'sas');
          await rm(sas, { recursive: true, force: true });
          await symlink(path.join(world.parentDir, 'outside'), sas);
          await world.startService();
          await world.publishFlag();
          const failures = await failuresMatching(world, /symbolic link/);
          evidence.push(`service refused the SFT writes: ${failures[0]!.reason}`);
          await waitFor(async () => (await world.queueDepth(world.deadLetterQueueUrl)).visible > 0, {
            timeoutMs: 45_000,
            description: 'the message to reach the DLQ',
          });
          // A restarted agent meets the link at start: it must refuse the directory, and never send
          // or delete outside/victim.txt (the accounting checks the outside folder).
          const lines = world.logs.lines.length;
          await world.startAgent();
          const refused = world.logs.lines
            .slice(lines)
            .filter((line) => line.level >= LEVEL.error && /source directory refused/.test(String(line.msg)));
          evidence.push(
            `restarted agent: ${refused.length} source directory refused (${String(refused[0]?.reason)})`,
          );
          if (refused.length !== 1)
            throw new Error('the restarted agent did not refuse the linked directory');
          // The link is the fault, not an output: it goes before the accounting looks.
          await rm(sas);
          await mkdir(sas);
        },
        splitOutcome(/\|SFT$/, 'dead-lettered', /symbolic link/),
      ),
  },
  {
    name: 'sft-error-folder-link',
    fault:
      "the agent's error folder data-egress/error/sas is a link to a folder outside sftRoot while NiFi is down; then the link is removed, NiFi and the agent restarted",
    quick: false,
    run: (context) =>
      runWorld(
        context,
        'sft-error-link',
        { sftTimings: { redeliveryDelayMs: 200, maximumRedeliveries: 2, maximumRedeliveryDelayMs: 400 } },
        async (world, evidence) => {
          const errorFolder = path.join(world.sftRoot, 'data-egress', 'error', 'sas');
          await mkdir(path.dirname(errorFolder), { recursive: true });
          await symlink(path.join(world.parentDir, 'outside'), errorFolder);
          const sftOutputs = world.expected().filter((output) => output.target.kind === 'sft-agent').length;
          const kept: string[] = [];
          world.agent!.on('failed', (event) => {
            if (event.errorFile === undefined) kept.push(event.name);
          });
          await world.stopNifi();
          await world.startService();
          await world.publishFlag();
          await waitFor(() => kept.length >= sftOutputs, {
            timeoutMs: 45_000,
            description: `${sftOutputs} failed deliveries kept in their source directory`,
          });
          evidence.push(
            `${kept.length} failed deliveries stayed in data-egress/sas: the error folder is a link, nothing was moved out`,
          );
          await rm(errorFolder);
          await world.startNifi();
          await world.startAgent();
          evidence.push('link removed, NiFi back, agent restarted: it picks the kept files up');
        },
        allDelivered,
      ),
  },
  (() => {
    const OUTAGE_MS = 8_000;
    let outageLines: string[] = [];
    return {
      name: 'endpoint-outage',
      fault: `the AWS endpoint is down for ${OUTAGE_MS / 1000} s (every connection reset, then refused) before the flag; the service must back off quietly, then deliver`,
      quick: false,
      run: async (context: ScenarioContext) => {
        const proxy = await TcpProxy.start(context.environment.edge.endpoint);
        try {
          return await runWorld(
            context,
            'endpoint-outage',
            { awsEndpoint: proxy.endpoint },
            async (world, evidence) => {
              await world.startService({ messagesInFlight: 4 });
              await waitFor(() => proxy.stats.accepted >= 4, { description: 'the pollers to connect' });
              const before = world.logs.lines.length;
              await proxy.down();
              // The flag goes straight to the edge: its message waits in the queue behind the outage.
              await world.publishFlag();
              // The length of the outage is the fault itself, not a wait for a condition.
              await delay(OUTAGE_MS);
              const during = world.logs.lines.slice(before).filter((line) => line.component === 'egress');
              outageLines = during.filter((line) => line.level >= LEVEL.info).map((line) => String(line.msg));
              const failed = 1 + during.filter((line) => line.msg === 'SQS receive still failing').length;
              evidence.push(
                `${OUTAGE_MS / 1000} s down: ${outageLines.length} egress log line(s) at info or above, ${during.length} in all, ${failed} failed receive(s)`,
              );
              await proxy.up();
              const ended = await waitFor(
                () => world.logs.find(LEVEL.info, { msg: 'SQS receive works again: outage ended' })[0],
                { timeoutMs: 30_000, description: 'the outage-ended line' },
              );
              evidence.push(
                `outage ended after ${ended.durationMs} ms, ${ended.failedReceives} failed receives`,
              );
            },
            (report) => [
              ...allDelivered(report),
              ...(outageLines.length === 1
                ? []
                : [
                    `expected 1 egress log line at info or above during the outage, got: ${outageLines.join(' | ')}`,
                  ]),
            ],
            { timeoutMs: 90_000 },
          );
        } finally {
          await proxy.stop();
        }
      },
    } satisfies Scenario;
  })(),
  // ── issue 12: SFT names the agent ignores, duplicate destination names, names in bytes, modes ──
  {
    name: 'sft-ignored-names',
    fault: `objects named ${IGNORED_NAMES.join(', ')} (names the SFT agent never sends) beside fine.csv, under a prefix with an S3 and an SFT rule`,
    quick: true,
    run: (context) => {
      const workload = withExtraObjects(
        standardWorkload(context.workload),
        'ignored',
        [...IGNORED_NAMES, 'fine.csv'].map((name) => ({ name, body: Buffer.from(`contents of ${name}\n`) })),
      );
      const set = workload.extras![0]!;
      return runWorld(
        context,
        'sft-ignored',
        { workload, maxReceiveCount: 2 },
        async (world, evidence) => {
          await world.startService();
          await Promise.all([world.publishFlag(), world.publishFlag(set.flag)]);
          const refused = await failuresMatching(world, /the SFT agent never sends it/, IGNORED_NAMES.length);
          evidence.push(
            `SFT objects refused by the service: ${[...new Set(refused.map((failure) => failure.key))].join(', ')} (${refused[0]!.reason})`,
          );
        },
        splitOutcome(
          (output) =>
            output.rule === `${set.prefix}|EXTRASFT` &&
            IGNORED_NAMES.some((name) => output.source?.key === `${set.prefix}${name}`),
          'dead-lettered',
          /the SFT agent never sends it/,
        ),
      );
    },
  },
  {
    name: 'duplicate-names',
    fault:
      'north/totals.csv and south/totals.csv (and other.csv) under one prefix whose S3 and SFT rules flatten them to one destination name',
    quick: true,
    run: (context) => {
      const workload = withExtraObjects(standardWorkload(context.workload), 'dups', [
        { name: 'north/totals.csv', body: Buffer.from('region,total\nnorth,17\n') },
        { name: 'south/totals.csv', body: Buffer.from('region,total\nsouth,42\n') },
        { name: 'other.csv', body: Buffer.from('no collision\n') },
      ]);
      const set = workload.extras![0]!;
      return runWorld(
        context,
        'dup-names',
        { workload, maxReceiveCount: 2 },
        async (world, evidence) => {
          await world.startService();
          await Promise.all([world.publishFlag(), world.publishFlag(set.flag)]);
          const refused = await waitFor(
            () => {
              const rules = new Set(
                world.failures
                  .filter((failure) => failure.beforeTransfer && /more than one source/.test(failure.reason))
                  .map((failure) => failure.rule),
              );
              return rules.size >= 2 ? [...rules] : undefined;
            },
            { timeoutMs: 30_000, description: 'both rules of the set to fail on duplicate names' },
          );
          evidence.push(`rules failed before any transfer: ${refused.join(', ')}`);
          const line = world.logs.lines.find((entry) =>
            /^duplicate destination names/.test(String(entry.msg)),
          );
          evidence.push(`logged: ${String(line?.msg)}: ${String(line?.reason)}`);
          // A child-process worker is judged from its log lines alone: they must tell the same
          // rule failures as the in-process events do, or such a run would count them unexplained.
          const fromLogs = new Set(
            world.logs.lines
              .flatMap((entry) => failuresOfLogLine(entry, world.targets.sourceBucket))
              .filter((failure) => failure.beforeTransfer)
              .map((failure) => failure.rule),
          );
          const missing = refused.filter((rule) => !fromLogs.has(rule));
          if (missing.length > 0) {
            throw new Error(`the log lines do not report the rule failures of ${missing.join(', ')}`);
          }
          evidence.push(`the same rule failures read from the log lines: ${[...fromLogs].join(', ')}`);
        },
        splitOutcome(
          (output) => output.rule.startsWith(set.prefix),
          'dead-lettered',
          /totals\.csv from "chaos\/dups\/north\/totals\.csv" and "chaos\/dups\/south\/totals\.csv"/,
        ),
      );
    },
  },
  {
    name: 'sft-name-bytes',
    fault:
      'SFT names counted in bytes, not UTF-16 units: 244 and 255 bytes of Cyrillic, Greek, CJK, an emoji, a decomposed accent (NFD), through the agent to the stub NiFi',
    quick: true,
    run: (context) => {
      const workload = withExtraObjects(
        standardWorkload(context.workload),
        'names',
        NON_ASCII_NAMES.map((name, index) => ({ name, body: deterministicBytes(`name-${index}`, 2048) })),
      );
      const modes: string[] = [];
      return runWorld(
        context,
        'sft-names',
        { workload },
        async (world, evidence) => {
          await world.startService();
          await Promise.all([world.publishFlag(), world.publishFlag(workload.extras![0]!.flag)]);
          await world.settle({ expected: world.expected() });
          const nifiKeys = await world.listKeys(world.targets.nifiBucket);
          const arrived = NON_ASCII_NAMES.filter((name) => nifiKeys.some((key) => key.endsWith(`/${name}`)));
          evidence.push(
            `${arrived.length} of ${NON_ASCII_NAMES.length} non-ASCII names stored by the stub NiFi under that very name (${NON_ASCII_NAMES.map((name) => `${Buffer.byteLength(name)} B`).join(', ')})`,
          );
          modes.push(...(await checkSftModes(world, 'under sftRoot after the agent ran', evidence)).problems);
        },
        (report) => [...allDelivered(report), ...modes],
      );
    },
  },
  {
    name: 'sft-file-modes',
    fault:
      'HTME objects decrypted into the SFT directory (no agent, the files stay): every file 0600, every directory created 0700',
    quick: true,
    run: (context) => {
      const modes: string[] = [];
      return runWorld(
        context,
        'sft-modes',
        { sft: 'files' },
        async (world, evidence) => {
          await world.startService();
          await world.publishFlag();
          await world.settle({ expected: world.expected() });
          const found = await checkSftModes(world, 'decrypted SFT output', evidence);
          modes.push(...found.problems);
          if (found.files !== world.workload.objects.length)
            modes.push(`${found.files} SFT files to check, expected ${world.workload.objects.length}`);
        },
        (report) => [...allDelivered(report), ...modes],
        { reference: 'htme' },
      );
    },
  },
];
