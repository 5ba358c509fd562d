/**
 * Diagnostic, not a benchmark: where the time of `latency` goes. Runs the same workload (idle
 * sandbox as shipped, 10 × 64 KiB files per flag, flags one after another, alternating with the
 * raw-SDK floor consumer) with the sandbox's LOG_LEVEL at debug, then reads the phase marks the
 * edge and the service log (`S3 event sent`, `message received`, `rules loaded`, `source page
 * listed`, `object egressed`) and the floor's own marks, and prints the median of each phase.
 *
 *   node --import tsx bench/latency-breakdown.ts [flags=30] [--edge-apart]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestKit } from '../src/testing/index.ts';
import { Deliveries, type FloorMarks, startFloorConsumer } from './latency.bench.ts';
import { percentile, round } from './lib.ts';
import { mapLimit } from './support/concurrency.ts';
import { contentBuffer, s3Rule } from './support/content.ts';
import { startEdgeProcess } from './support/processes.ts';
import { startSandboxProcess } from './support/sandbox-process.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const FILES = 10;
const samples = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 30);
/** `--edge-apart`: the sandbox against an edge in its own process (a what-if; edge marks are then absent). */
const edgeApart = process.argv.includes('--edge-apart');
const epochMs = () => performance.timeOrigin + performance.now();

interface LogLine {
  time: string;
  msg: string;
  key?: string;
  correlationId?: string;
  flags?: string[];
  component?: string;
}

const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bench-latency-breakdown-'));
const apartEdge = edgeApart ? await startEdgeProcess() : undefined;
const sandbox = await startSandboxProcess(stateDir, {
  env: { LOG_LEVEL: 'debug' },
  ...(apartEdge ? { awsEndpoint: apartEdge.endpoint } : {}),
});
const { state } = sandbox;
const kit = await startTestKit({
  target: { region: state.region, endpoint: state.aws.endpoint, credentials: state.aws },
});
const run = Date.now().toString(36);
const destination = `bench-breakdown-dst-${run}`;
const floorSource = `bench-breakdown-floor-${run}`;
try {
  await kit.createBuckets(destination, floorSource);
  const deliveredQueue = await kit.createQueue(`bench-breakdown-delivered-${run}`);
  const floorQueue = await kit.createQueue(`bench-breakdown-floor-${run}`);
  await kit.notify(destination, deliveredQueue);
  await kit.notify(floorSource, floorQueue, 'pipeline_success.flag');
  const body = contentBuffer(64 * 1024, 3);
  const rules: Record<string, unknown>[] = [];
  for (let i = 0; i < samples; i++) {
    const n = String(i).padStart(3, '0');
    rules.push(s3Rule(`bench-breakdown/${run}/run-${n}/`, 'source', destination, `svc-${n}/`));
    rules.push(s3Rule(`bench-breakdown-floor/${run}/run-${n}/`, floorSource, destination, `floor-${n}/`));
    await mapLimit(
      Array.from({ length: FILES }, (_, f) => f),
      5,
      async (f) => {
        await kit.putObject('source', `bench-breakdown/${run}/run-${n}/file-${f}.csv`, body);
        await kit.putObject(floorSource, `bench-breakdown-floor/${run}/run-${n}/file-${f}.csv`, body);
      },
    );
  }
  await kit.putRules({ table: state.table }, rules);
  const deliveries = new Deliveries(kit, deliveredQueue);
  const floorMarks = new Map<string, FloorMarks>();
  const floor = startFloorConsumer(kit, floorQueue, state.table, (marks) => floorMarks.set(marks.key, marks));
  const service: { flag: string; put: number; delivered: number }[] = [];
  const floors: { flag: string; put: number; delivered: number }[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const n = String(i).padStart(3, '0');
      for (const [bucket, prefix, delivered, into] of [
        ['source', `bench-breakdown/${run}/run-${n}/`, `svc-${n}/`, service],
        [floorSource, `bench-breakdown-floor/${run}/run-${n}/`, `floor-${n}/`, floors],
      ] as const) {
        await delay(100);
        const flag = `${prefix}pipeline_success.flag`;
        await kit.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: flag, Body: '' }));
        const put = epochMs();
        const at = await deliveries.lastOf(delivered, FILES);
        into.push({ flag, put, delivered: performance.timeOrigin + at });
      }
    }
  } finally {
    await floor.stop();
    await deliveries.stop();
  }
  await delay(500); // the sandbox's log is written asynchronously
  const lines = (await readFile(state.logs, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
  const at = (line: LogLine | undefined) => (line ? Date.parse(line.time) : Number.NaN);
  const phases = new Map<string, number[]>();
  const add = (name: string, ms: number) => {
    if (Number.isFinite(ms)) phases.set(name, [...(phases.get(name) ?? []), ms]);
  };
  for (const sample of service) {
    const flagEvent = lines.find((l) => l.msg === 'S3 event sent' && l.key === sample.flag);
    const correlationId = lines.find(
      (l) => l.msg === 'egressing matched rules' && l.flags?.includes(sample.flag),
    )?.correlationId;
    const mine = lines.filter((l) => l.correlationId === correlationId);
    const received = mine.find((l) => l.msg === 'message received');
    const loaded = mine.find((l) => l.msg === 'rules loaded');
    const listed = mine.find((l) => l.msg === 'source page listed');
    const egressed = mine.filter((l) => l.msg === 'object egressed').map(at);
    const prefix = sample.flag.includes('/run-') ? `svc-${sample.flag.split('/run-')[1]!.slice(0, 3)}/` : '';
    const destinationEvents = lines
      .filter((l) => l.msg === 'S3 event sent' && l.key?.startsWith(prefix))
      .map(at);
    add('service 1 PUT returned → edge sent the flag event', at(flagEvent) - sample.put);
    add('service 2 flag event → message received', at(received) - at(flagEvent));
    add('service 3 received → rules loaded (scan)', at(loaded) - at(received));
    add('service 4 rules loaded → source listed (match, list)', at(listed) - at(loaded));
    add('service 5 listed → 10th object egressed (copies)', Math.max(...egressed) - at(listed));
    add(
      'service 6 10th object egressed → its event sent',
      Math.max(...destinationEvents) - Math.max(...egressed),
    );
    add('service 7 event sent → bench received it', sample.delivered - Math.max(...destinationEvents));
    add('service total', sample.delivered - sample.put);
  }
  for (const sample of floors) {
    const marks = floorMarks.get(sample.flag);
    if (!marks) continue;
    add('floor 1+2 PUT returned → message received', marks.received - sample.put);
    add('floor 3 received → scanned', marks.scanned - marks.received);
    add('floor 4 scanned → listed', marks.listed - marks.scanned);
    add('floor 5 listed → 10 copies done', marks.copied - marks.listed);
    add('floor 6+7 copies done → bench received the 10th event', sample.delivered - marks.copied);
    add('floor total', sample.delivered - sample.put);
  }
  console.log(`${samples} flags each${edgeApart ? ', edge in its own process' : ''}; median (p95) ms`);
  for (const [name, values] of [...phases].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(
      `${name.padEnd(58)} ${String(round(percentile(values, 50), 1)).padStart(7)} (${round(percentile(values, 95), 1)})`,
    );
  }
} finally {
  await kit.stop();
  await sandbox.stop();
  await apartEdge?.stop();
  await rm(stateDir, { recursive: true, force: true });
}
