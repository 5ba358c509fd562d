/**
 * SFT leg (issue 5): 100 files of 1 MiB through the SFT agent (sandbox routes and timings,
 * route `/data-egress/sas/` → stub NiFi over mutual TLS) at threadPoolSize 1 and 3; the stub NiFi
 * and the edge it stores into run in their own process. Floor: the same files POSTed by a raw
 * keep-alive HTTPS client with the same concurrency and certificates.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sandboxSftAgentConfig, startSftAgent } from '../src/sft/index.ts';
import { ensureCertificates, loadCertificates } from '../src/tls/certificates.ts';
import { type Benchmark, type Figure, round } from './lib.ts';
import { mapLimit } from './support/concurrency.ts';
import { contentBuffer, MiB, scaled } from './support/content.ts';
import { describeCpu, measured } from './support/measure.ts';
import { startEdgeProcess } from './support/processes.ts';

const ROUTE_PATH = '/internal/DandARed/inbound/Dataworks/UCFS/tactical';
const SIZE = 1 * MiB;

export const sftBenchmark: Benchmark = {
  name: 'sft',
  description:
    'SFT agent: 100 files of 1 MiB from /data-egress/sas/ to the stub NiFi (mTLS; NiFi + edge in their own process), threadPoolSize 1 and 3, sandbox timings (read-lock minAge 500 ms). Floor: raw keep-alive HTTPS POSTs of the same files, same concurrency.',
  async run() {
    const count = scaled(100, 10);
    const certsDir = path.join(os.tmpdir(), 'egress-bench-certs');
    const certs = await ensureCertificates(certsDir);
    const tls = await loadCertificates(certs);
    const edge = await startEdgeProcess({ nifiCertsDir: certsDir });
    const nifiUrl = edge.nifiUrl!;
    const sftRoot = await mkdtemp(path.join(os.tmpdir(), 'bench-sft-'));
    const staging = path.join(sftRoot, 'staging');
    const sas = path.join(sftRoot, 'data-egress/sas');
    await mkdir(staging, { recursive: true });
    await mkdir(sas, { recursive: true });
    const body = contentBuffer(SIZE, 42);
    const results: Figure[] = [];
    const notes: string[] = [];
    try {
      for (const pool of [1, 3]) {
        // Floor first: raw POSTs of staged files.
        const names = Array.from(
          { length: count },
          (_, i) => `p${pool}-file-${String(i).padStart(3, '0')}.csv`,
        );
        await Promise.all(names.map((name) => writeFile(path.join(staging, name), body)));
        const agent = new https.Agent({
          keepAlive: true,
          maxSockets: pool,
          ca: tls.ca,
          cert: tls.clientCert,
          key: tls.clientKey,
        });
        const floorDone: number[] = [];
        const floor = await measured({ nifi: edge.pid }, async () => {
          await mapLimit(
            names,
            pool,
            (name) =>
              new Promise<void>((resolve, reject) => {
                const request = https.request(
                  new URL(`${ROUTE_PATH}`, nifiUrl),
                  {
                    method: 'POST',
                    agent,
                    headers: {
                      filename: `floor-${name}`,
                      'content-type': 'application/octet-stream',
                      'content-length': SIZE,
                      'x-api-key': 'sandbox-api-key',
                    },
                  },
                  (response) => {
                    response.resume();
                    response.on('end', () => {
                      floorDone.push(performance.now());
                      if (response.statusCode === 200) resolve();
                      else reject(new Error(`HTTP ${response.statusCode}`));
                    });
                  },
                );
                request.on('error', reject);
                createReadStream(path.join(staging, name)).pipe(request);
              }),
          );
        });
        agent.destroy();

        // The agent: files appear in the source directory atomically (hidden name, then rename).
        const sftAgent = await startSftAgent({
          config: sandboxSftAgentConfig({ nifiUrl, threadPoolSize: pool }),
          sftRoot,
          tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
        });
        const delivered: number[] = [];
        let failures = 0;
        const allDelivered = new Promise<void>((resolve) => {
          sftAgent.on('delivered', () => {
            delivered.push(performance.now());
            if (delivered.length === count) resolve();
          });
          sftAgent.on('failed', () => {
            failures += 1;
          });
        });
        const run = await measured({ nifi: edge.pid }, async () => {
          await mapLimit(names, 8, (name) => rename(path.join(staging, name), path.join(sas, name)));
          await allDelivered;
          return delivered[delivered.length - 1];
        });
        await sftAgent.stop();
        const steadyFilesPerSecond = (count - 1) / ((delivered[count - 1]! - delivered[0]!) / 1000);
        const floorFilesPerSecond = count / (floor.ms / 1000);
        const floorSteady = (count - 1) / ((floorDone[count - 1]! - floorDone[0]!) / 1000);
        results.push(
          {
            name: `threadPoolSize ${pool}: files/s, first file placed → last delivered`,
            value: round(count / (run.ms / 1000), 1),
            unit: 'files/s',
            floor: {
              name: `raw HTTPS POSTs, ${pool} at once`,
              value: round(floorFilesPerSecond, 1),
              ratio: round(count / (run.ms / 1000) / floorFilesPerSecond),
            },
          },
          {
            name: `threadPoolSize ${pool}: MB/s after the read-lock (first → last delivery)`,
            value: round((steadyFilesPerSecond * SIZE) / 1e6, 1),
            unit: 'MB/s',
            floor: {
              name: `raw HTTPS POSTs, ${pool} at once (first → last response)`,
              value: round((floorSteady * SIZE) / 1e6, 1),
              ratio: round(steadyFilesPerSecond / floorSteady),
            },
          },
        );
        notes.push(
          `threadPoolSize ${pool}: ${count} delivered, ${failures} failed; end-to-end ${round(run.ms, 0)} ms of which ${round(run.ms - (delivered[count - 1]! - delivered[0]!), 0)} ms before the first delivery, after the files appeared (chokidar awaitWriteFinish + read-lock minAge 500 ms, then the first file's transfer); CPU agent run: ${describeCpu(run.cpu)}, floor: ${describeCpu(floor.cpu)} (self = agent / floor, nifi = stub NiFi + edge).`,
        );
      }
      return { benchmark: 'sft', description: this.description, figures: results, notes };
    } finally {
      await edge.stop();
      await rm(sftRoot, { recursive: true, force: true });
    }
  },
};
