import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type DksStub, startDksStub } from '../../stubs/dks/index.ts';
import { type StubNifi, startStubNifi } from '../../stubs/nifi/index.ts';
import { createDynamoClient, createS3Client, createSqsClient } from '../aws/clients.ts';
import { waitForAwsEndpoint } from '../aws/endpoint-probe.ts';
import { loadEnvironmentFile, type ProvisionStep, provisionEnvironment } from '../aws/provisioning/index.ts';
import { type AwsTarget, EMULATOR_CREDENTIALS } from '../aws/target.ts';
import { startDashboard } from '../dashboard/index.ts';
import type { EdgeHandle, EdgeRestoreSummary } from '../edge/edge-handle.ts';
import { healthReport } from '../edge/health.ts';
import { EdgePortInUseError } from '../edge/port-in-use.ts';
import { type EdgeThreadError, startThreadEdge } from '../edge/thread/index.ts';
import { type EgressService, startEgressService } from '../egress/index.ts';
import { defaultTimeZone } from '../egress/plan/dates.ts';
import { privateLogFile } from '../logging/file-destination.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { processingDay } from '../rule-tools/dates.ts';
import {
  formatLoadReport,
  loadRuleItems,
  type RuleFile,
  RuleLoadError,
  readRuleFile,
  type TerraformValues,
  unstorableItems,
} from '../rule-tools/index.ts';
import { type SftAgent, sandboxSftAgentConfig, startSftAgent } from '../sft/index.ts';
import { PRIVATE_DIRECTORY_MODE } from '../sft/volume/modes.ts';
import { ensureCertificates, loadCertificates } from '../tls/certificates.ts';
import { PACKAGE_VERSION } from '../util/package-version.ts';
import { chooseAwsEndpoint, type EndpointCredentials, endpointCredentials } from './aws-endpoint.ts';
import { Demonstrations } from './demonstrations.ts';
import { awsEndpointHealth, sandboxComponentHealth } from './health.ts';
import {
  type Component,
  PORTS,
  PROJECT_ROOT,
  resolveSandboxSettings,
  type SandboxSettings,
} from './settings.ts';
import { removeStateFile, type SandboxState, writeStateFile } from './state-file.ts';
import { StateLock } from './state-lock.ts';
import { SandboxTrace } from './trace.ts';
import { traceEdge, traceEgress } from './trace-sources.ts';

/** Options for {@link startSandbox}. */
export interface SandboxOptions {
  /** Where sandbox.json, certificates, logs and the SFT root live. @defaultValue `<project>/.sandbox` */
  stateDir?: string;
  /** Environment file to provision. @defaultValue `config/sandbox/environment.yml` */
  environmentFile?: string;
  /**
   * Routing items to load into the table at start: JSON items, an `aws dynamodb scan` export, an
   * environment file or Terraform (`egress routes load` reads the same). Read before anything
   * starts, so an unreadable file stops the start at once.
   */
  rulesFile?: string | undefined;
  /** What to evaluate a Terraform `rulesFile` with (`--var`, `--template-values`…); refused for other files. */
  rulesTerraform?: TerraformValues | undefined;
  /**
   * Keep buckets, objects, queues with their messages, tables and parameters in
   * `<state-dir>/data/` across restarts (LocalStack's `PERSISTENCE=1`). Default: a fresh start.
   */
  persist?: boolean | undefined;
  /** Progress callback for humans (the CLI prints these). */
  onProgress?: (message: string) => void;
  /** Settings override (tests); otherwise read from the environment. */
  settings?: SandboxSettings;
  /**
   * Use an AWS endpoint that is already running (moto, LocalStack, a compose stack) instead of
   * starting the embedded edge. Provisioning and every other component then target that endpoint.
   * @defaultValue the environment file's `aws.endpoint`, else the embedded edge
   */
  awsEndpoint?: string;
  /**
   * Credentials for `awsEndpoint`; sandbox.json records them.
   * @defaultValue `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, else `test`/`test`
   */
  awsCredentials?: EndpointCredentials;
  /** How long to wait for `awsEndpoint` to answer before giving up. @defaultValue 15 000 ms */
  endpointWaitMs?: number;
  /**
   * Told when the sandbox fails while it runs — its edge's thread died — once the sandbox has
   * logged it and stopped everything else (sandbox.json removed, the state directory unlocked). A
   * failure during the start rejects `startSandbox` instead.
   */
  onFailure?: (error: Error) => void;
}

/** A running sandbox. */
export interface Sandbox {
  readonly settings: SandboxSettings;
  readonly state: SandboxState;
  readonly stateFile: string;
  /** The embedded edge (on its own thread unless `settings.edgeThread` is false), unless the sandbox runs against another endpoint. */
  readonly edge: EdgeHandle | undefined;
  readonly logger: Logger;
  /** The readable story of what the sandbox does (uploads, events, rules, deliveries). */
  readonly trace: SandboxTrace;
  /** Rules invalid on purpose (the demo's), told as demonstrations rather than failures. */
  readonly demonstrations: Demonstrations;
  /** The running components, for tests, fault injection and the dashboard. */
  readonly components: { dks: DksStub; nifi: StubNifi; sftAgent: SftAgent; egress: EgressService };
  /** Stops every component in reverse start order; safe to call twice. */
  stop(): Promise<void>;
}

/** A component could not listen because its port is taken; names the variable that moves it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly component: Component,
    readonly port: number,
  ) {
    super(
      `the ${component} cannot listen on port ${port}: it is already in use (another sandbox?). ` +
        `Stop the other process, or set ${PORTS[component].variable} to another port (0 picks a free one)`,
    );
  }
}

/** Starts a listening component, turning "address in use" into a message naming the variable. */
async function listenOn<T>(component: Component, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(component, port);
    throw error;
  }
}

/** Creates `directory` 0700, or narrows it to 0700 when it exists. */
async function privateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  await chmod(directory, PRIVATE_DIRECTORY_MODE);
}

function describeStep(step: ProvisionStep): string {
  return `${step.kind} ${step.name}: ${step.action}${step.detail ? ` (${step.detail})` : ''}`;
}

/** Where `--persist` keeps the state, under the state directory. */
export const PERSIST_DIR_NAME = 'data';

function describeRestore(restored: EdgeRestoreSummary, dir: string): string {
  if (restored.savedAt === undefined) return `persisting state in ${dir} (nothing saved yet: a first start)`;
  const dropped = restored.droppedObjects.length
    ? `; ${restored.droppedObjects.length} objects left out, their bodies gone (the sandbox was killed after the last stop)`
    : '';
  return (
    `restored the state saved ${restored.savedAt} from ${dir}: ${restored.buckets} buckets, ${restored.objects} objects, ` +
    `${restored.queues} queues with ${restored.messages} messages, ${restored.parameters} parameters, ` +
    `${restored.notifications} notification configurations (tables are kept on disk)${dropped}`
  );
}

/** Reads `--rules FILE` and refuses items no table can store, before anything starts. */
async function readRulesToLoad(file: string, terraform: TerraformValues | undefined): Promise<RuleFile> {
  const rules = await readRuleFile(file, terraform);
  const unstorable = unstorableItems(rules.records);
  if (unstorable.length) {
    throw new RuleLoadError(
      `${unstorable.length} routing items of ${rules.origin} cannot be stored`,
      unstorable,
    );
  }
  return rules;
}

/**
 * Starts the whole sandbox on the embedded target: edge, provisioning of the default environment,
 * then writes sandbox.json once everything listens and every resource exists.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const settings = options.settings ?? resolveSandboxSettings({ stateDir: options.stateDir });
  const progress = options.onProgress ?? (() => {});
  const { stateDir } = settings;
  // Private: the logs, certificates and SFT files (decrypted data) live here. A state directory
  // that already exists is the operator's (it may be shared, such as /tmp) and keeps its mode; the
  // sandbox's own sub-directories are made private even when an earlier run left them open.
  await mkdir(stateDir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  // One sandbox per state directory: a second one refuses here, before it touches the first one's
  // files (its sandbox.json, certificates, logs, SFT root and S3 bodies).
  const lock = await StateLock.acquire(stateDir, {
    purpose: 'sandbox',
    onTakeover: (stale, why) =>
      progress(
        `took over the state directory's lock from pid ${stale.pid} (${why}; started ${stale.startedAt})`,
      ),
  });
  try {
    return await startLocked(options, settings, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function startLocked(
  options: SandboxOptions,
  settings: SandboxSettings,
  lock: StateLock,
): Promise<Sandbox> {
  const progress = options.onProgress ?? (() => {});
  const { stateDir } = settings;
  const rules = options.rulesFile
    ? await readRulesToLoad(options.rulesFile, options.rulesTerraform)
    : undefined;
  await removeStateFile(stateDir);
  const logsDir = path.join(stateDir, 'logs');
  const sftRoot = path.join(stateDir, 'sft-root');
  await Promise.all([privateDirectory(logsDir), privateDirectory(sftRoot)]);
  const logFile = path.join(logsDir, 'sandbox.log');
  const logDestination = await privateLogFile(logFile);
  // One log file for every component; each line names its component once.
  const rootLogger = createLogger({ destination: logDestination });
  const logger = rootLogger.child({ component: 'sandbox' });

  const trace = new SandboxTrace();
  const demonstrations = new Demonstrations();
  /** Set when the edge's thread dies; `stopRunning` once the sandbox is ready. */
  let failure: EdgeThreadError | undefined;
  let stopRunning: (() => Promise<void>) | undefined;
  const failed = async (error: EdgeThreadError) => {
    failure = error;
    logger.error({ err: error }, 'the edge is gone: the sandbox stops');
    // While starting, the start fails with this error (below); once running, nothing is left half-alive.
    if (!stopRunning) return;
    await stopRunning();
    options.onFailure?.(error);
  };
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error, component: name }, 'component failed to stop');
      }
    }
    stops.length = 0;
    await new Promise<void>((resolve) => {
      logDestination.once('close', () => resolve());
      logDestination.end();
    });
  };

  try {
    const environment = await loadEnvironmentFile(
      options.environmentFile ?? path.join(PROJECT_ROOT, 'config/sandbox/environment.yml'),
    );
    // An endpoint given by the caller (the CLI: --aws-endpoint, EGRESS_AWS_ENDPOINT_URL) wins over the file's.
    const endpointChoice = chooseAwsEndpoint(
      undefined,
      {},
      options.awsEndpoint ?? environment.environment.aws?.endpoint,
    );
    let edge: EdgeHandle | undefined;
    let target: AwsTarget;
    let credentials: EndpointCredentials = { ...EMULATOR_CREDENTIALS };
    if (endpointChoice) {
      credentials = options.awsCredentials ?? endpointCredentials(process.env);
      // A copy: the SDK annotates the credentials object it is given, and sandbox.json must not show that.
      target = {
        region: settings.region,
        endpoint: endpointChoice.endpoint,
        credentials: { ...credentials },
      };
      await waitForAwsEndpoint(endpointChoice.endpoint, { timeoutMs: options.endpointWaitMs ?? 15_000 });
      progress(
        `using the AWS endpoint ${endpointChoice.endpoint} (no embedded edge; access key ${credentials.accessKeyId})`,
      );
      if (options.persist) {
        progress(
          '--persist keeps the embedded edge’s state; with another AWS endpoint that endpoint keeps its own',
        );
      }
    } else {
      const edgeOptions = {
        port: settings.ports.edge,
        host: settings.host,
        region: settings.region,
        // With --persist everything lives under data/ and is restored at the next start; otherwise
        // S3 object bodies live under s3/, removed when the sandbox stops.
        ...(options.persist
          ? { persistDir: path.join(stateDir, PERSIST_DIR_NAME) }
          : { s3StorageDir: path.join(stateDir, 's3') }),
      };
      try {
        edge =
          settings.edgeThread === false
            ? // Loaded only here: on its own thread the emulators stay out of this one's memory.
              await (await import('../edge/edge.ts')).startEdge({
                ...edgeOptions,
                logger: rootLogger.child({ component: 'edge' }),
              })
            : await startThreadEdge({
                ...edgeOptions,
                // The edge's thread appends to the same log file, its lines as component 'edge'.
                logFile,
                logLevel: rootLogger.level,
                onFailure: (error) => void failed(error),
              });
      } catch (error) {
        if (error instanceof EdgePortInUseError) throw new PortInUseError('edge', error.port);
        throw error;
      }
      const started = edge;
      stops.push({ name: 'edge', stop: () => started.stop() });
      target = edge.target;
      traceEdge(edge, trace);
      progress(`edge listening on ${edge.endpoint} (S3, SQS, DynamoDB, SSM, STS)`);
      if (edge.restored) progress(describeRestore(edge.restored, path.join(stateDir, PERSIST_DIR_NAME)));
    }
    await lock.update({ endpoint: target.endpoint });

    // After the endpoint check: a wrong URL is reported before the slow part (new certificates).
    const certificates = await ensureCertificates(path.join(stateDir, 'certs'), { extraDnsNames: [] });

    // The stub NiFi's bucket follows EGRESS_ENVIRONMENT; make sure it exists whatever the file says.
    if (!environment.environment.buckets.some((b) => b.name === settings.nifiBucket)) {
      environment.environment.buckets.push({ name: settings.nifiBucket });
    }
    const report = await provisionEnvironment(target, environment, {
      onStep: (step) => logger.info({ step }, 'provisioned'),
    });
    const created = report.steps.filter((s) => s.action !== 'found').length;
    progress(`provisioned ${report.steps.length} resources (${created} created or updated)`);
    for (const step of report.steps) logger.debug(describeStep(step));

    const tls = await loadCertificates(certificates);
    const dks = await listenOn('dks', settings.ports.dks, () =>
      startDksStub({
        port: settings.ports.dks,
        host: settings.host,
        tls,
        logger: rootLogger.child({ component: 'dks' }),
      }),
    );
    stops.push({ name: 'dks', stop: () => dks.stop() });
    progress(`Data Key Service stub listening on ${dks.url} (mTLS)`);

    const nifi = await listenOn('nifi', settings.ports.nifi, () =>
      startStubNifi({
        port: settings.ports.nifi,
        host: settings.host,
        bucket: settings.nifiBucket,
        s3: target,
        tls,
        logger: rootLogger.child({ component: 'stub-nifi' }),
      }),
    );
    stops.push({ name: 'stub-nifi', stop: () => nifi.stop() });
    nifi.on('received', (file) =>
      trace.add(
        file.status < 300
          ? {
              stage: 'nifi',
              text: `stub NiFi stored ${file.filename} (${file.bytes} bytes) at s3://${settings.nifiBucket}/${file.key}`,
              details: { ...file },
            }
          : {
              stage: 'nifi',
              text: `stub NiFi refused ${file.filename ?? '(no filename)'} on ${file.path}: ${file.status} ${file.reason ?? ''}`,
              details: { ...file },
              failure: true,
            },
      ),
    );
    progress(`stub NiFi listening on ${nifi.url} → s3://${settings.nifiBucket}`);

    const agent = await startSftAgent({
      config: sandboxSftAgentConfig({ nifiUrl: nifi.url }),
      sftRoot,
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
      logger: rootLogger.child({ component: 'sft-agent' }),
    });
    stops.push({ name: 'sft-agent', stop: () => agent.stop() });
    agent.on('delivered', (event) =>
      trace.add({
        stage: 'sft',
        text: `SFT agent sent ${event.sentName} by route ${event.route}`,
        details: { ...event },
      }),
    );
    agent.on('failed', (event) =>
      trace.add({
        stage: 'sft',
        text: `SFT agent gave up on ${event.name} (${event.reason}); it is in ${event.errorFile ?? 'its source folder'}`,
        details: { ...event },
        failure: true,
      }),
    );
    progress(`SFT agent watching ${agent.watchedDirectories.length} directories under ${sftRoot}`);

    const queueSpec = environment.environment.queues[0];
    const queueName = queueSpec?.name;
    const deadLetterName = queueSpec?.deadLetter?.name;
    const table = environment.environment.tables[0]?.name;
    if (!queueName || !deadLetterName || !table) {
      throw new Error(`${environment.file}: the sandbox needs a queue with a deadLetter queue and a table`);
    }
    if (rules) {
      const loaded = await loadRuleItems(target, table, rules.records, {
        stamps: processingDay(undefined, defaultTimeZone()),
      });
      for (const note of rules.notes) progress(`rules: ${note}`);
      for (const line of formatLoadReport(loaded, rules.origin)) progress(line);
      logger.info(
        {
          rules: rules.origin,
          table,
          created: loaded.created,
          updated: loaded.updated,
          unchanged: loaded.unchanged,
          invalid: loaded.validation.invalid.length,
        },
        'routing rules loaded',
      );
    }

    // The service renews visibility while it works, so the queue's short timeout only decides how
    // soon a failed message comes back: quick retries, and a hopeless message in the DLQ in seconds.
    const visibility = Math.max(2, queueSpec.visibilityTimeoutSeconds ?? 5);
    const egress = await listenOn('metrics', settings.ports.metrics, () =>
      startEgressService(
        {
          aws: target,
          queueUrl: report.queues[queueName]!.url,
          deadLetterQueueUrl: report.queues[deadLetterName]!.url,
          table,
          sftRoot,
          visibilityTimeoutSeconds: visibility,
          heartbeatIntervalSeconds: Math.max(1, Math.floor(visibility / 2)),
          shutdownTimeoutMs: 10_000,
          metricsPort: settings.ports.metrics,
          metricsHost: settings.host,
          dks: {
            url: dks.url,
            caPath: certificates.ca,
            certPath: certificates.clientCert,
            keyPath: certificates.clientKey,
          },
        },
        { logger: rootLogger.child({ component: 'egress' }) },
      ),
    );
    stops.push({ name: 'egress', stop: () => egress.stop() });
    traceEgress(egress, trace, demonstrations);
    progress(`egress service consuming ${queueName}; metrics on ${egress.metricsUrl}`);

    // The edge's /_localstack/health reports the stubs, agent, service and dashboard beside AWS;
    // without an embedded edge, the dashboard serves the same report.
    const healthS3 = createS3Client(target);
    const healthSqs = createSqsClient(target);
    const healthDynamo = createDynamoClient(target);
    stops.push({
      name: 'health',
      stop: async () => {
        healthS3.destroy();
        healthSqs.destroy();
        healthDynamo.destroy();
      },
    });
    let dashboardUrl: string | undefined;
    const componentHealth = () =>
      sandboxComponentHealth({
        tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
        dksUrl: dks.url,
        nifi: { url: nifi.url, bucket: settings.nifiBucket },
        s3: healthS3,
        sftAgent: agent,
        sftRoot,
        metricsUrl: egress.metricsUrl,
        dashboardUrl: () => dashboardUrl,
      });
    edge?.setHealthContributor(componentHealth);
    const endpointHealth = async () =>
      healthReport(
        {
          ...(await awsEndpointHealth(
            { s3: healthS3, sqs: healthSqs, dynamo: healthDynamo },
            target.endpoint!,
          )),
          ...(await componentHealth()),
        },
        PACKAGE_VERSION,
      );

    const state: SandboxState = {
      region: settings.region,
      aws: {
        endpoint: target.endpoint!,
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
      },
      table,
      queue: report.queues[queueName]!,
      deadLetterQueue: report.queues[deadLetterName]!,
      dks: { url: dks.url },
      nifi: { url: nifi.url, bucket: settings.nifiBucket },
      metrics: { url: egress.metricsUrl },
      tls: { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey },
      sftRoot,
      ...(edge?.restored ? { persistence: { dir: path.join(stateDir, PERSIST_DIR_NAME) } } : {}),
      buckets: environment.environment.buckets.map((b) => b.name),
      logs: logFile,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    const dashboard = await listenOn('dashboard', settings.ports.dashboard, () =>
      startDashboard({
        port: settings.ports.dashboard,
        host: settings.host,
        state,
        target,
        trace,
        egress,
        sftAgent: agent,
        demonstrations,
        inspectEndpoint: edge?.endpoint,
        health: edge ? undefined : endpointHealth,
        logger: rootLogger.child({ component: 'dashboard' }),
      }),
    );
    stops.push({ name: 'dashboard', stop: () => dashboard.stop() });
    state.dashboard = { url: dashboard.url };
    dashboardUrl = dashboard.url;
    state.health = { url: new URL('/_localstack/health', edge?.endpoint ?? dashboard.url).href };
    progress(`dashboard on ${dashboard.url}`);
    await lock.update({ dashboard: dashboard.url });

    if (failure) throw failure;
    const stateFile = await writeStateFile(stateDir, state);
    logger.info({ stateFile }, 'sandbox ready');

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        await removeStateFile(stateDir);
        await stopAll();
        await lock.release();
      })();
      return stopping;
    };
    stopRunning = stop;
    return {
      settings,
      state,
      stateFile,
      edge,
      logger,
      trace,
      demonstrations,
      components: { dks, nifi, sftAgent: agent, egress },
      stop,
    };
  } catch (error) {
    await stopAll();
    // A request that failed because the edge's thread had died tells less than its death does.
    throw failure ?? error;
  }
}
