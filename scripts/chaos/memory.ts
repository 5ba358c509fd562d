/**
 * Memory and handle check of the egress service over many messages (not part of `npm test`):
 *
 *   node --import tsx scripts/chaos/memory.ts [--messages 1000] [--warmup 100]
 *
 * The edge, the stub DKS and the driver run in this process; the egress service runs alone in a
 * child process started with `--expose-gc`, so its figures are its own. The driver sends flag
 * messages in 8 lanes (S3 plain, S3 gzip, S3 HTME-decrypt through the DKS, SFT, …) plus one
 * malformed body (→ DLQ) per 10 flags; each lane reuses one source prefix holding one object, so
 * every message moves exactly one object and nothing accumulates on the service's side. After a
 * warm-up, and after every further 100 messages, the child runs `gc()` twice and reports
 * `process.memoryUsage()` and its active resources (`process.getActiveResourcesInfo()`, and
 * `process._getActiveHandles().length`). At the end the service is stopped and the resources are
 * compared with those before it started. Prints a table and a verdict, writes
 * `reports/chaos/memory.json`, exits 1 on growth.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { EgressServiceConfig } from '../../src/egress/config/service-config.ts';
import { DataKeyServiceClient, encryptHtme, htmeMetadata } from '../../src/egress/crypto/index.ts';
import { type DksStub, startDksStub } from '../../stubs/dks/index.ts';
import { deterministicBytes } from './workload.ts';
import { ChaosWorld, startChaosEnvironment } from './world.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** One reading in the child, after two full garbage collections. */
interface Sample {
  label: string;
  messages: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** `process.getActiveResourcesInfo()` counted by type. */
  resources: Record<string, number>;
  handles: number;
}

type ToChild =
  | { type: 'start'; config: EgressServiceConfig }
  | { type: 'sample'; label: string; messages: number }
  | { type: 'stop' };
type FromChild =
  | { type: 'ready' }
  | { type: 'processed'; messageId: string; action: string; reason: string }
  | { type: 'sample'; sample: Sample }
  | { type: 'stopped' };

// ── the child: the egress service alone ────────────────────────────────────────────────────────

async function child(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the child needs --expose-gc');
  const { startEgressService } = await import('../../src/egress/service.ts');
  const send = (message: FromChild) => process.send!(message);
  const sample = (label: string, messages: number): Sample => {
    gc();
    gc();
    const usage = process.memoryUsage();
    const resources: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    return { label, messages, ...usage, resources, handles };
  };
  let service: Awaited<ReturnType<typeof startEgressService>> | undefined;
  process.on('message', async (message: ToChild) => {
    if (message.type === 'start') {
      send({ type: 'sample', sample: sample('before start', 0) });
      service = await startEgressService(message.config);
      service.on('message_processed', (event) =>
        send({ type: 'processed', messageId: event.messageId, action: event.action, reason: event.reason }),
      );
      send({ type: 'ready' });
    } else if (message.type === 'sample') {
      send({ type: 'sample', sample: sample(message.label, message.messages) });
    } else if (message.type === 'stop') {
      await service?.stop();
      // Let closed sockets finish closing before counting.
      await new Promise((resolve) => setTimeout(resolve, 500));
      send({ type: 'sample', sample: sample('after stop', -1) });
      send({ type: 'stopped' });
      process.disconnect();
    }
  });
}

// ── the driver ─────────────────────────────────────────────────────────────────────────────────

const LANES = 8;

interface Lane {
  index: number;
  prefix: string;
  kind: 'S3' | 'S3GZ' | 'HTME' | 'SFT';
}

function laneOf(index: number, htme: boolean): Lane {
  const kind = index === 0 ? 'SFT' : index === 1 ? 'S3GZ' : index === 2 && htme ? 'HTME' : 'S3';
  return { index, prefix: `mem/l${index}/`, kind };
}

async function driver(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '100' },
      /** Replace the HTME lane by a plain one (tells the DKS client's key cache apart from the rest). */
      'without-htme': { type: 'boolean', default: false },
    },
  });
  const total = Number(values.messages);
  const warmup = Number(values.warmup);
  const reportDir = path.resolve('reports/chaos');
  await mkdir(reportDir, { recursive: true });

  const environment = await startChaosEnvironment();
  let dks: DksStub | undefined;
  let childProcess: ChildProcess | undefined;
  let producer: DataKeyServiceClient | undefined;
  const lanes = Array.from({ length: LANES }, (_, index) => laneOf(index, !values['without-htme']));
  let world: ChaosWorld | undefined;
  try {
    world = await ChaosWorld.create(environment, {
      name: 'memory',
      sft: 'files',
      workload: { prefix: 'mem/none/', flag: 'mem/none/pipeline_success.flag', objects: [] },
      maxReceiveCount: 3,
      rules: (targets) =>
        lanes.map((lane) => ({
          source_prefix: lane.prefix,
          pipeline_name: lane.kind,
          transfer_type: lane.kind === 'SFT' ? 'SFT' : 'S3',
          source_bucket: targets.sourceBucket,
          ...(lane.kind === 'SFT'
            ? { destination_prefix: `/mem/l${lane.index}/` }
            : { destination_bucket: targets.destinationBucket, destination_prefix: `out/l${lane.index}/` }),
          ...(lane.kind === 'S3GZ' ? { compress: true, compress_fmt: 'gz' } : {}),
          ...(lane.kind === 'HTME' ? { decrypt: true } : {}),
        })),
    });
    const w = world;
    dks = await startDksStub({ port: 0, tls: environment.tls });
    producer = new DataKeyServiceClient({
      url: dks.url,
      tls: { ca: environment.tls.ca, cert: environment.tls.clientCert, key: environment.tls.clientKey },
      retry: { attempts: 1 },
    });
    const config = w.serviceConfig({
      messagesInFlight: LANES,
      dks: {
        url: dks.url,
        caPath: environment.certificatePaths.ca,
        certPath: environment.certificatePaths.clientCert,
        keyPath: environment.certificatePaths.clientKey,
      },
    });

    const pending = new Map<string, (outcome: { action: string; reason: string }) => void>();
    const early = new Map<string, { action: string; reason: string }>();
    const samples: Sample[] = [];
    let sampleWaiter: ((sample: Sample) => void) | undefined;
    let ready!: () => void;
    const readyPromise = new Promise<void>((resolve) => {
      ready = resolve;
    });
    let stopped!: () => void;
    const stoppedPromise = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    childProcess = fork(new URL(import.meta.url).pathname, ['--child'], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    childProcess.on('message', (message: FromChild) => {
      if (message.type === 'ready') ready();
      else if (message.type === 'stopped') stopped();
      else if (message.type === 'sample') {
        samples.push(message.sample);
        sampleWaiter?.(message.sample);
      } else if (message.type === 'processed') {
        const resolve = pending.get(message.messageId);
        if (resolve) resolve(message);
        else early.set(message.messageId, message);
      }
    });
    const tell = (message: ToChild) => childProcess!.send(message);
    const takeSample = (label: string, messages: number) =>
      new Promise<Sample>((resolve) => {
        sampleWaiter = resolve;
        tell({ type: 'sample', label, messages });
      });
    const outcomeOf = (messageId: string) =>
      new Promise<{ action: string; reason: string }>((resolve, reject) => {
        const known = early.get(messageId);
        if (known) return resolve(known);
        const timer = setTimeout(
          () => reject(new Error(`message ${messageId} not processed in 60 s`)),
          60_000,
        );
        pending.set(messageId, (outcome) => {
          clearTimeout(timer);
          pending.delete(messageId);
          resolve(outcome);
        });
      });
    const sendBody = async (body: string) =>
      (await w.sqs.send(new SendMessageCommand({ QueueUrl: w.queueUrl, MessageBody: body }))).MessageId!;

    tell({ type: 'start', config });
    await readyPromise;

    const failures: string[] = [];
    let sent = 0;
    let malformed = 0;
    /** HTME messages after the warm-up: each unwraps a new data key, which the DKS client caches. */
    let htmeKeys = 0;
    let measuring = false;
    const previous = new Map<number, { source: string; destination: string }>();
    /** One flag message through one lane: clean the lane's last object, put a new one, wait for it. */
    const oneMessage = async (lane: Lane, n: number) => {
      const last = previous.get(lane.index);
      if (last) {
        await w.s3.send(new DeleteObjectCommand({ Bucket: w.targets.sourceBucket, Key: last.source }));
        if (lane.kind === 'SFT') await rm(last.destination, { force: true });
        else
          await w.s3.send(
            new DeleteObjectCommand({ Bucket: w.targets.destinationBucket, Key: last.destination }),
          );
      }
      const body = deterministicBytes(`mem-${n}`, 2_048 + (n % 7) * 1_024);
      const name = `obj-${n}.csv${lane.kind === 'HTME' ? '.enc' : ''}`;
      const source = `${lane.prefix}${name}`;
      if (lane.kind === 'HTME') {
        if (measuring) htmeKeys += 1;
        const { body: encrypted, envelope } = encryptHtme(body, await producer!.generateDataKey());
        await w.put(source, encrypted, w.targets.sourceBucket, htmeMetadata(envelope));
      } else {
        await w.put(source, body);
      }
      const destination =
        lane.kind === 'SFT'
          ? path.join(w.sftRoot, 'mem', `l${lane.index}`, name)
          : `out/l${lane.index}/obj-${n}.csv${lane.kind === 'S3GZ' ? '.gz' : ''}`;
      previous.set(lane.index, { source, destination });
      const messageId = await sendBody(
        JSON.stringify({
          Records: [
            {
              eventName: 'ObjectCreated:Put',
              s3: { object: { key: `${lane.prefix}pipeline_success.flag` } },
            },
          ],
        }),
      );
      const outcome = await outcomeOf(messageId);
      if (outcome.action !== 'deleted' || outcome.reason !== 'completed') {
        failures.push(`message ${n} (${lane.kind}): ${outcome.action}/${outcome.reason}`);
      }
      sent += 1;
      if (sent % 10 === 0) {
        // A malformed body now and then: the dead-letter path runs too.
        const bad = await sendBody(`not json ${n}`);
        const badOutcome = await outcomeOf(bad);
        if (badOutcome.reason !== 'dead-lettered') failures.push(`malformed ${n}: ${badOutcome.reason}`);
        malformed += 1;
      }
    };
    /** `count` messages spread over the lanes (sequential within a lane). */
    const batch = async (count: number) => {
      const start = sent;
      await Promise.all(
        lanes.map(async (lane) => {
          for (let n = start + lane.index; n < start + count; n += LANES) await oneMessage(lane, n);
        }),
      );
    };

    const started = Date.now();
    await batch(warmup);
    await takeSample('after warm-up', sent);
    measuring = true;
    for (let done = 0; done < total; done += 100) {
      await batch(Math.min(100, total - done));
      const sample = await takeSample(`after ${sent} messages`, sent);
      console.log(
        `${sample.label}: heapUsed ${mib(sample.heapUsed)} MiB, rss ${mib(sample.rss)} MiB, handles ${sample.handles}`,
      );
    }
    tell({ type: 'stop' });
    await stoppedPromise;
    const seconds = (Date.now() - started) / 1000;

    const report = judge(samples, { measured: total, malformed, htmeKeys, failures, seconds });
    console.log(`\n${report.text}`);
    await writeFile(path.join(reportDir, 'memory.json'), JSON.stringify({ ...report, samples }, null, 2));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    childProcess?.kill();
    await producer?.close();
    await dks?.stop();
    await world?.close();
    await environment.close();
  }
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / n;
  const my = points.reduce((sum, p) => sum + p.y, 0) / n;
  const num = points.reduce((sum, p) => sum + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((sum, p) => sum + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/**
 * Limits. Heap after GC: at most 4 MiB more than after the warm-up, and flat over the second half
 * of the run (trend ≤ 512 B/message there: warm-up effects such as JIT and SDK caches settle in the
 * first hundreds of messages). ArrayBuffers: at most 8 KiB per distinct DKS data key unwrapped plus
 * 512 KiB — the DKS client keeps up to 1 000 unwrapped keys (LRU), and each cached 32-byte key is
 * a slice of Node's 8 KiB Buffer pool that keeps its whole slab alive (`Buffer.from(plaintext)`,
 * src/egress/crypto/dks/dks-client.ts:249), so that cache is bounded at ≈ 8 MiB, not 32 KiB. Handles:
 * never more than after the warm-up + 2 (pooled keep-alive sockets come and go), and after stop
 * exactly as before start.
 */
const MAX_HEAP_GROWTH = 4 * 2 ** 20;
const MAX_LATE_HEAP_SLOPE = 512;
const SLAB = 8 * 1024;

function judge(
  samples: Sample[],
  run: { measured: number; malformed: number; htmeKeys: number; failures: string[]; seconds: number },
): { ok: boolean; text: string; figures: Record<string, number | string> } {
  const before = samples.find((sample) => sample.label === 'before start')!;
  const warm = samples.find((sample) => sample.label === 'after warm-up')!;
  const measured = samples.filter((sample) => sample.messages >= warm.messages);
  const last = measured[measured.length - 1]!;
  const after = samples.find((sample) => sample.label === 'after stop')!;
  const heapGrowth = last.heapUsed - warm.heapUsed;
  const heapSlope = slope(measured.map((sample) => ({ x: sample.messages, y: sample.heapUsed })));
  const late = measured.slice(Math.floor(measured.length / 2));
  const lateSlope = slope(late.map((sample) => ({ x: sample.messages, y: sample.heapUsed })));
  const bufferGrowth = last.arrayBuffers - warm.arrayBuffers;
  const bufferLimit = run.htmeKeys * SLAB + 512 * 1024;
  const maxHandles = Math.max(...measured.map((sample) => sample.handles));
  const rssGrowth = last.rss - warm.rss;
  const resourceText = (sample: Sample) =>
    Object.entries(sample.resources)
      .sort()
      .map(([type, count]) => `${type}×${count}`)
      .join(' ');
  const same = (a: Sample, b: Sample) => resourceText(a) === resourceText(b) && a.handles === b.handles;
  const problems: string[] = [...run.failures.slice(0, 10)];
  if (heapGrowth > MAX_HEAP_GROWTH)
    problems.push(`heapUsed grew ${mib(heapGrowth)} MiB (limit ${mib(MAX_HEAP_GROWTH)})`);
  if (lateSlope > MAX_LATE_HEAP_SLOPE) {
    problems.push(
      `heapUsed still grows in the second half: ${lateSlope.toFixed(0)} B/message (limit ${MAX_LATE_HEAP_SLOPE})`,
    );
  }
  if (bufferGrowth > bufferLimit) {
    problems.push(
      `arrayBuffers grew ${mib(bufferGrowth)} MiB (limit for ${run.htmeKeys} cached DKS keys: ${mib(bufferLimit)})`,
    );
  }
  if (maxHandles > warm.handles + 2)
    problems.push(`handles rose to ${maxHandles} (after warm-up: ${warm.handles})`);
  if (!same(before, after)) problems.push('active resources after stop differ from before start');
  const rows = samples.map(
    (sample) =>
      `${sample.label.padEnd(22)} ${mib(sample.heapUsed).padStart(7)} ${mib(sample.heapTotal).padStart(7)} ${mib(sample.rss).padStart(7)} ${mib(sample.external).padStart(7)} ${mib(sample.arrayBuffers).padStart(7)} ${String(sample.handles).padStart(7)}  ${resourceText(sample)}`,
  );
  const text = [
    `${run.measured} flag messages after a warm-up of ${warm.messages}, plus ${run.malformed} malformed (DLQ), in ${run.seconds.toFixed(0)} s`,
    '',
    `${'sample'.padEnd(22)} ${'heap'.padStart(7)} ${'heapTot'.padStart(7)} ${'rss'.padStart(7)} ${'extern'.padStart(7)} ${'arrBuf'.padStart(7)} ${'handles'.padStart(7)}  resources (MiB)`,
    ...rows,
    '',
    `heapUsed growth after warm-up: ${mib(heapGrowth)} MiB; trend ${heapSlope.toFixed(0)} B/message overall, ${lateSlope.toFixed(0)} B/message in the second half; rss growth ${mib(rssGrowth)} MiB`,
    `arrayBuffers growth: ${mib(bufferGrowth)} MiB for ${run.htmeKeys} distinct DKS keys unwrapped (${run.htmeKeys ? (bufferGrowth / run.htmeKeys / 1024).toFixed(1) : '-'} KiB per key; limit ${mib(bufferLimit)} MiB)`,
    `handles: ${warm.handles} after warm-up, at most ${maxHandles} during the run; resources before start ${same(before, after) ? '=' : '≠'} after stop`,
    problems.length === 0 ? 'memory: no growth' : `memory: FAILED\n  ${problems.join('\n  ')}`,
  ].join('\n');
  return {
    ok: problems.length === 0,
    text,
    figures: {
      heapGrowthBytes: heapGrowth,
      heapSlopeBytesPerMessage: Math.round(heapSlope),
      lateHeapSlopeBytesPerMessage: Math.round(lateSlope),
      arrayBufferGrowthBytes: bufferGrowth,
      htmeKeys: run.htmeKeys,
      maxHandles,
      rssGrowthBytes: rssGrowth,
      resourcesWarm: resourceText(warm),
      resourcesEnd: resourceText(last),
      resourcesBefore: resourceText(before),
      resourcesAfterStop: resourceText(after),
    },
  };
}

if (process.argv.includes('--child')) await child();
else await driver();
