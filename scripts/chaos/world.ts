import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsTarget } from '../../src/aws/target.ts';
import type { Edge } from '../../src/edge/index.ts';
import { startEdge } from '../../src/edge/index.ts';
import type { EgressServiceConfig } from '../../src/egress/config/service-config.ts';
import { DEAD_LETTER_REASON_ATTRIBUTE } from '../../src/egress/consumer/dead-letter.ts';
import { parseS3EventMessage } from '../../src/egress/consumer/s3-event.ts';
import { DataKeyServiceClient, encryptHtme, htmeMetadata } from '../../src/egress/crypto/index.ts';
import type { EgressEvents } from '../../src/egress/observability/events.ts';
import { describeRuleKey } from '../../src/egress/rules/rule.ts';
import {
  type EgressService,
  type EgressServiceOptions,
  startEgressService,
} from '../../src/egress/service.ts';
import { type SftAgent, sandboxSftAgentConfig, startSftAgent } from '../../src/sft/index.ts';
import type { SandboxSftTimings } from '../../src/sft/sandbox-config.ts';
import { FLAG_SUFFIX, startTestKit, type TestKit } from '../../src/testing/index.ts';
import {
  type CertificateMaterial,
  type CertificatePaths,
  ensureCertificates,
  loadCertificates,
} from '../../src/tls/certificates.ts';
import { waitFor } from '../../src/util/wait.ts';
import { type DksStub, startDksStub } from '../../stubs/dks/index.ts';
import { type StubNifi, startStubNifi } from '../../stubs/nifi/index.ts';
import type {
  DeadLetter,
  ErrorFolderEntry,
  ExpectedOutput,
  FailureRecord,
  Observation,
} from './accounting.ts';
import { failuresOfLogLine, ruleFailureRecord } from './failure-records.ts';
import { LogCapture } from './logs.ts';
import {
  expectedOutputs,
  type RuleTargets,
  standardWorkload,
  type Workload,
  workloadRules,
} from './workload.ts';

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/egress.js');

/** What every scenario of a run shares: one embedded edge, one certificate set, one temp dir. */
export interface ChaosEnvironment {
  readonly edge: Edge;
  readonly tls: CertificateMaterial;
  readonly certificatePaths: CertificatePaths;
  /** Worlds put their SFT roots (and the directories around them) here. */
  readonly baseDir: string;
  /** When set, every component's log lines are also written to `<logDir>/<world>.log`. */
  readonly logDir: string | undefined;
  close(): Promise<void>;
}

export async function startChaosEnvironment(options: { logDir?: string } = {}): Promise<ChaosEnvironment> {
  const baseDir = await mkdtemp(path.join(os.tmpdir(), 'egress-chaos-'));
  const certificatePaths = await ensureCertificates(path.join(baseDir, 'certs'));
  const tls = await loadCertificates(certificatePaths);
  const edge = await startEdge({ port: 0 });
  if (options.logDir) await mkdir(options.logDir, { recursive: true });
  return {
    edge,
    tls,
    certificatePaths,
    baseDir,
    logDir: options.logDir,
    async close() {
      await edge.stop();
      await rm(baseDir, { recursive: true, force: true });
    },
  };
}

/** Options for {@link ChaosWorld.create}. */
export interface ChaosWorldOptions {
  /** Short, lower case: names the buckets, queues and table (`[a-z0-9-]`). */
  name: string;
  workload?: Workload;
  /** `agent`: an SFT agent and a stub NiFi carry SFT files on; `files`: SFT files stay put. */
  sft?: 'agent' | 'files';
  /** Receives before the queue's redrive policy moves a message to the DLQ. @defaultValue 5 */
  maxReceiveCount?: number;
  /** @defaultValue true */
  createDestinationBucket?: boolean;
  /** The AWS endpoint the service and the stub NiFi use (a {@link TcpProxy}); default the edge. */
  awsEndpoint?: string;
  /** SFT agent timings (sandbox defaults otherwise). */
  sftTimings?: Partial<SandboxSftTimings>;
  /** Extra attributes for the source queue and its DLQ (e.g. `MaximumMessageSize`). */
  queueAttributes?: Record<string, string>;
  /** Routing items instead of the workload's three rules. */
  rules?: (targets: RuleTargets) => Record<string, unknown>[];
}

/** A child-process egress service (`node bin/egress.js service`). */
export interface ChildService {
  readonly child: ChildProcess;
  readonly name: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a line matching `pattern` has been printed. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream, hash);
  return hash.digest('hex');
}

/**
 * One isolated pipeline for one scenario: its own source and destination buckets, queue + DLQ
 * (redrive), routing table, SFT root (inside a parent directory that holds a sentinel `outside/`
 * directory, so escapes are visible), and optionally a stub NiFi with the sandbox SFT agent.
 * The edge is shared. Services run in process ({@link startService}) or as child processes
 * ({@link spawnService}).
 */
export class ChaosWorld {
  readonly failures: FailureRecord[] = [];
  readonly processed: EgressEvents['message_processed'][] = [];
  readonly services: EgressService[] = [];
  readonly children: ChildService[] = [];
  nifi: StubNifi | undefined;
  agent: SftAgent | undefined;
  /** The world's own Data Key Service stub (encrypted workloads only). */
  dks: DksStub | undefined;
  /** Plaintext data keys and wrapped keys of the uploaded objects: none may ever appear in a log. */
  readonly keyMaterial: string[] = [];
  /** Run by {@link close} after the services stopped (things a scenario started for them). */
  readonly cleanups: (() => Promise<unknown>)[] = [];
  private nifiPort = 0;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly table: string;

  private constructor(
    readonly environment: ChaosEnvironment,
    readonly options: ChaosWorldOptions & { workload: Workload; sft: 'agent' | 'files' },
    readonly id: string,
    /** The test kit on the shared edge: the world's AWS resources are provisioned through it. */
    readonly kit: TestKit,
    readonly parentDir: string,
    readonly sftRoot: string,
    readonly logs: LogCapture,
    resources: { queueUrl: string; deadLetterQueueUrl: string; table: string },
    readonly targets: RuleTargets,
    readonly rules: Record<string, unknown>[],
  ) {
    this.queueUrl = resources.queueUrl;
    this.deadLetterQueueUrl = resources.deadLetterQueueUrl;
    this.table = resources.table;
  }

  get s3(): S3Client {
    return this.kit.clients.s3;
  }

  get sqs(): SQSClient {
    return this.kit.clients.sqs;
  }

  get documents(): DynamoDBDocumentClient {
    return this.kit.clients.documents;
  }

  get workload(): Workload {
    return this.options.workload;
  }

  /** The AWS target the service and the stub NiFi use. */
  get serviceTarget(): AwsTarget {
    return {
      ...this.environment.edge.target,
      endpoint: this.options.awsEndpoint ?? this.environment.edge.endpoint,
    };
  }

  static async create(environment: ChaosEnvironment, options: ChaosWorldOptions): Promise<ChaosWorld> {
    const id = `${options.name}-${randomBytes(3).toString('hex')}`;
    const workload = options.workload ?? standardWorkload();
    const sft = options.sft ?? 'agent';
    const targets: RuleTargets = {
      sourceBucket: `cs-${id}`,
      destinationBucket: `cd-${id}`,
      nifiBucket: `cn-${id}`,
    };
    const rules = (options.rules ?? ((given) => workloadRules(workload, given)))(targets);
    const queueName = `cq-${id}`;
    const table = `ct-${id}`;
    // The kit on the shared edge (the service may reach it through a proxy; the world's set-up does not).
    const kit = await startTestKit({ target: environment.edge.target });
    const report = await kit.provision({
      buckets: [
        targets.sourceBucket,
        ...((options.createDestinationBucket ?? true) ? [targets.destinationBucket] : []),
        ...(sft === 'agent' ? [targets.nifiBucket] : []),
      ].map((name) => ({ name })),
      queues: [
        {
          name: queueName,
          deadLetter: { name: `${queueName}-dlq`, maxReceiveCount: options.maxReceiveCount ?? 5 },
        },
      ],
      notifications: [{ bucket: targets.sourceBucket, queue: queueName, suffix: FLAG_SUFFIX }],
      tables: [{ name: table }],
    });
    const queueUrl = report.queues[queueName]!.url;
    const deadLetterQueueUrl = report.queues[`${queueName}-dlq`]!.url;
    if (options.queueAttributes) {
      // Attributes the environment format does not declare (such as MaximumMessageSize).
      for (const url of [queueUrl, deadLetterQueueUrl]) {
        await kit.clients.sqs.send(
          new SetQueueAttributesCommand({ QueueUrl: url, Attributes: options.queueAttributes }),
        );
      }
    }
    // Items go in as they are (some scenarios route deliberately odd rules): no validation on the way.
    await kit.putRules({ table }, rules);
    const parentDir = await mkdtemp(path.join(environment.baseDir, `${id}-`));
    const sftRoot = path.join(parentDir, 'sft-root');
    await mkdir(sftRoot);
    await mkdir(path.join(parentDir, 'outside'));
    await writeFile(path.join(parentDir, 'outside', 'victim.txt'), 'victim');
    const logs = new LogCapture('chaos', {
      ...(environment.logDir ? { file: path.join(environment.logDir, `${id}.log`) } : {}),
    });

    const world = new ChaosWorld(
      environment,
      { ...options, workload, sft },
      id,
      kit,
      parentDir,
      sftRoot,
      logs,
      { queueUrl, deadLetterQueueUrl, table },
      targets,
      rules,
    );
    if (workload.encrypted) {
      world.dks = await startDksStub({
        port: 0,
        tls: environment.tls,
        logger: logs.logger.child({ component: 'dks' }),
      });
      const producer = new DataKeyServiceClient({
        url: world.dks.url,
        tls: { ca: environment.tls.ca, cert: environment.tls.clientCert, key: environment.tls.clientKey },
        retry: { attempts: 1 },
      });
      try {
        for (const object of workload.objects) {
          // A fresh data key per object, as HTME producers do: one DKS unwrap per object on egress.
          const dataKey = await producer.generateDataKey();
          world.keyMaterial.push(dataKey.plaintextDataKey.toString('base64'), dataKey.encryptedDataKey);
          const { body, envelope } = encryptHtme(object.body, dataKey);
          await world.put(object.key, body, world.targets.sourceBucket, htmeMetadata(envelope));
        }
      } finally {
        await producer.close();
      }
    } else {
      for (const object of workload.objects) await world.put(object.key, object.body);
    }
    // Extra object sets are never encrypted (their rules are plain copies).
    for (const set of workload.extras ?? []) {
      for (const object of set.objects) await world.put(object.key, object.body);
    }
    if (sft === 'agent') {
      await world.startNifi();
      await world.startAgent();
    }
    return world;
  }

  /**
   * Starts the sandbox SFT agent on this world's SFT root (stopping the one running, if any), as
   * an operator restarts it: files already in its source directories are picked up.
   */
  async startAgent(): Promise<SftAgent> {
    await this.agent?.stop();
    const { tls } = this.environment;
    this.agent = await startSftAgent({
      config: sandboxSftAgentConfig({ nifiUrl: this.nifi!.url, timings: this.options.sftTimings }),
      sftRoot: this.sftRoot,
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
      logger: this.logs.logger.child({ component: 'sft-agent' }),
    });
    return this.agent;
  }

  /** Uploads an object to the source bucket (multipart above 8 MiB, as producers do). */
  async put(
    key: string,
    body: Buffer | string,
    bucket = this.targets.sourceBucket,
    metadata?: Record<string, string>,
  ): Promise<void> {
    await this.kit.putObject(bucket, key, body, metadata);
  }

  /** Uploads the flag: the edge's bucket notification puts the S3 event on the queue. */
  async publishFlag(key = this.workload.flag): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.targets.sourceBucket, Key: key, Body: '', ContentLength: 0 }),
    );
  }

  expected(now = new Date()): ExpectedOutput[] {
    return expectedOutputs(this.workload, this.rules, this.targets, this.options.sft, now);
  }

  /** The stub NiFi, on the port it had before when it is restarted. */
  async startNifi(options: { maxBodyBytes?: number } = {}): Promise<StubNifi> {
    this.nifi = await startStubNifi({
      port: this.nifiPort,
      bucket: this.targets.nifiBucket,
      s3: this.serviceTarget,
      tls: this.environment.tls,
      logger: this.logs.logger.child({ component: 'stub-nifi' }),
      ...options,
    });
    this.nifiPort = this.nifi.port;
    return this.nifi;
  }

  async stopNifi(): Promise<void> {
    await this.nifi?.stop();
    this.nifi = undefined;
  }

  /** Base configuration of this world's service: short timings so retries happen in seconds. */
  serviceConfig(overrides: Partial<EgressServiceConfig> = {}): EgressServiceConfig {
    return {
      aws: this.serviceTarget,
      queueUrl: this.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
      table: this.table,
      sftRoot: this.sftRoot,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 2,
      heartbeatIntervalSeconds: 1,
      shutdownTimeoutMs: 5_000,
      metricsPort: 0,
      ...(this.dks
        ? {
            dks: {
              url: this.dks.url,
              caPath: this.environment.certificatePaths.ca,
              certPath: this.environment.certificatePaths.clientCert,
              keyPath: this.environment.certificatePaths.clientKey,
            },
          }
        : {}),
      ...overrides,
    };
  }

  /** Key material (plaintext or wrapped data keys) found verbatim in this world's logs. */
  keyMaterialInLogs(): string[] {
    return this.keyMaterial.filter((secret) => this.logs.contains(secret));
  }

  /** Starts an egress service in this process; its failures and outcomes are recorded. */
  async startService(
    overrides: Partial<EgressServiceConfig> = {},
    options: EgressServiceOptions = {},
  ): Promise<EgressService> {
    const service = await startEgressService(this.serviceConfig(overrides), {
      logger: this.logs.logger.child({ component: 'egress' }),
      ...options,
    });
    this.services.push(service);
    service.on('object_failed', (event) =>
      this.failures.push({
        bucket: event.sourceBucket,
        key: event.sourceKey,
        rule: describeRuleKey(event.rule),
        reason: event.reason,
      }),
    );
    service.on('message_processed', (event) => {
      this.processed.push(event);
      for (const rule of event.rules) {
        if (rule.failure) {
          this.failures.push(
            ruleFailureRecord({ ...rule, rule: describeRuleKey(rule.rule), failure: rule.failure }),
          );
        }
      }
    });
    return service;
  }

  /** Stops the in-process services (drains them). */
  async stopServices(): Promise<void> {
    await Promise.all(this.services.map((service) => service.stop()));
  }

  /**
   * Starts `node bin/egress.js service` configured for this world through its environment variables;
   * its JSON log lines join {@link logs}, and its object failures join {@link failures}.
   */
  spawnService(name: string, extraEnv: Record<string, string> = {}): ChildService {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const variable of Object.keys(env)) {
      if (variable.startsWith('AWS_') || variable.startsWith('EGRESS_')) delete env[variable];
    }
    Object.assign(env, {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL: this.serviceTarget.endpoint,
      AWS_REGION: this.serviceTarget.region,
      EGRESS_QUEUE_URL: this.queueUrl,
      EGRESS_DEAD_LETTER_QUEUE_URL: this.deadLetterQueueUrl,
      EGRESS_TABLE: this.table,
      EGRESS_SFT_ROOT: this.sftRoot,
      EGRESS_VISIBILITY_TIMEOUT_SECONDS: '3',
      EGRESS_HEARTBEAT_INTERVAL_SECONDS: '1',
      EGRESS_WAIT_TIME_SECONDS: '1',
      EGRESS_METRICS_PORT: '0',
      EGRESS_SHUTDOWN_TIMEOUT_MS: '5000',
      ...(this.dks
        ? {
            EGRESS_DKS_URL: this.dks.url,
            EGRESS_DKS_CA: this.environment.certificatePaths.ca,
            EGRESS_DKS_CERT: this.environment.certificatePaths.clientCert,
            EGRESS_DKS_KEY: this.environment.certificatePaths.clientKey,
          }
        : {}),
      LOG_LEVEL: 'info',
      ...extraEnv,
    });
    const child = spawn(process.execPath, [BIN, 'service'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      pending += chunk.toString();
      const end = pending.lastIndexOf('\n');
      if (end < 0) return;
      const complete = pending.slice(0, end + 1);
      pending = pending.slice(end + 1);
      for (const line of complete.split('\n')) {
        if (!line.startsWith('{')) continue;
        this.logs.take(line.replace(/^\{/, `{"worker":${JSON.stringify(name)},`));
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          this.failures.push(...failuresOfLogLine(parsed, this.targets.sourceBucket));
        } catch {
          // a partial or human line
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const handle: ChildService = {
      child,
      name,
      exited,
      waitForOutput: (pattern, timeoutMs = 30_000) =>
        waitFor(() => pattern.test(output), {
          timeoutMs,
          description: `${name} to print ${pattern} (so far: ${output.slice(-400)})`,
        }).then(() => undefined),
    };
    this.children.push(handle);
    return handle;
  }

  queueDepth(queueUrl = this.queueUrl): Promise<{ visible: number; inFlight: number }> {
    return this.kit.queueDepth(queueUrl);
  }

  /** Every key of a bucket; none when the bucket does not exist (a scenario may create it late). */
  async listKeys(bucket: string): Promise<string[]> {
    try {
      return await this.kit.keys(bucket);
    } catch (error) {
      if ((error as Error).name === 'NoSuchBucket') return [];
      throw error;
    }
  }

  /** Files waiting in the agent's source directories (not hidden temporaries). */
  private async filesAwaitingAgent(): Promise<number> {
    if (!this.agent) return 0;
    let count = 0;
    for (const directory of this.agent.watchedDirectories) {
      const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
      count += entries.filter((entry) => entry.isFile() && !entry.name.startsWith('.')).length;
    }
    return count;
  }

  /** Cheap check: is every expected output present, in an error folder, or its flag in the DLQ? */
  async outputsResolved(expected: readonly ExpectedOutput[]): Promise<boolean> {
    const dlq = await this.queueDepth(this.deadLetterQueueUrl);
    if (dlq.visible + dlq.inFlight > 0) return true;
    const buckets = new Map<string, Set<string>>();
    const keysOf = async (bucket: string) => {
      if (!buckets.has(bucket)) buckets.set(bucket, new Set(await this.listKeys(bucket)));
      return buckets.get(bucket)!;
    };
    for (const { target } of expected) {
      if (target.kind === 's3' && !(await keysOf(target.bucket)).has(target.key)) return false;
      if (target.kind === 'sft-file' && !(await exists(path.join(this.sftRoot, target.path)))) return false;
      if (
        target.kind === 'sft-agent' &&
        !(await keysOf(target.nifiBucket)).has(target.nifiKey) &&
        !(await exists(path.join(this.sftRoot, target.errorFolder, target.name)))
      ) {
        return false;
      }
    }
    return true;
  }

  /**
   * Waits until the run has come to rest: every expected output resolved (or the DLQ non-empty),
   * the source queue empty (nothing visible or in flight), no file waiting for the agent — three
   * checks in a row. Returns false (does not throw) at the deadline: the accounting then shows what
   * is missing.
   */
  async settle(options: { timeoutMs?: number; expected?: readonly ExpectedOutput[] } = {}): Promise<boolean> {
    const expected = options.expected ?? this.expected();
    let calm = 0;
    try {
      await waitFor(
        async () => {
          const queue = await this.queueDepth();
          const quiet =
            queue.visible + queue.inFlight === 0 &&
            (await this.filesAwaitingAgent()) === 0 &&
            (await this.outputsResolved(expected));
          calm = quiet ? calm + 1 : 0;
          return calm >= 3;
        },
        { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 300, description: `${this.id} to settle` },
      );
      return true;
    } catch {
      return false;
    }
  }

  /** Reads every message of the DLQ (hidden for 5 minutes, so each is read once). */
  async deadLetters(): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    const expectedCount = await this.queueDepth(this.deadLetterQueueUrl);
    let empty = 0;
    while (letters.length < expectedCount.visible && empty < 3) {
      const response = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 300,
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = response.Messages ?? [];
      if (messages.length === 0) empty += 1;
      for (const message of messages) {
        let flagKeys: string[] = [];
        try {
          const parsed = parseS3EventMessage(message.Body);
          if (parsed.kind === 'records') flagKeys = parsed.flags.map((flag) => flag.key);
        } catch {
          // not an S3 event: its reason attribute must explain it
        }
        letters.push({
          messageId: message.MessageId!,
          flagKeys,
          reason: message.MessageAttributes?.[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue,
        });
      }
    }
    return letters;
  }

  /** Everything the accounting needs, gathered now. */
  async observe(): Promise<Observation> {
    const objects = new Map<string, string>();
    const buckets = [
      this.targets.destinationBucket,
      ...(this.options.sft === 'agent' ? [this.targets.nifiBucket] : []),
    ];
    for (const bucket of buckets) {
      for (const key of await this.listKeys(bucket)) {
        const response = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        objects.set(`${bucket}/${key}`, await sha256Of(response.Body as Readable));
      }
    }
    const sftFiles = new Map<string, string>();
    const sftOther: string[] = [];
    const errorEntries: ErrorFolderEntry[] = [];
    const walk = async (directory: string, relative: string): Promise<void> => {
      for (const entry of await readdir(directory, { withFileTypes: true })) {
        const full = path.join(directory, entry.name);
        const rel = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(full, rel);
        else if (entry.isFile()) {
          sftFiles.set(rel, await sha256Of(createReadStream(full)));
          if (entry.name.endsWith('.error.json')) {
            const record = JSON.parse(await readFile(full, 'utf8')) as { lastError?: string; route?: string };
            errorEntries.push({
              path: rel.slice(0, -'.error.json'.length),
              reason: record.lastError ?? '(sidecar without lastError)',
              route: record.route,
            });
          }
        } else sftOther.push(rel);
      }
    };
    await walk(this.sftRoot, '');
    const outside: string[] = [];
    for (const entry of await readdir(this.parentDir)) {
      if (entry !== 'sft-root' && entry !== 'outside') outside.push(path.join(this.parentDir, entry));
    }
    for (const entry of await readdir(path.join(this.parentDir, 'outside'))) {
      if (entry !== 'victim.txt') outside.push(path.join(this.parentDir, 'outside', entry));
    }
    const victim = path.join(this.parentDir, 'outside', 'victim.txt');
    if ((await readFile(victim, 'utf8').catch(() => '')) !== 'victim') outside.push(`${victim} (modified)`);
    return {
      objects,
      sftFiles,
      sftOther,
      errorEntries,
      deadLetters: await this.deadLetters(),
      failures: [...this.failures],
      outside,
      queue: await this.queueDepth(),
    };
  }

  async close(): Promise<void> {
    for (const child of this.children) {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await child.exited;
    }
    await this.stopServices();
    for (const cleanup of this.cleanups) await cleanup();
    await this.agent?.stop();
    await this.stopNifi();
    await this.dks?.stop();
    await this.kit.stop();
    await this.logs.close();
  }
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}
