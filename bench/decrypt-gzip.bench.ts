/**
 * 2. Decrypt + gzip: HTME-encrypted JSON-lines objects through the egress service (own process,
 * `node bin/egress.js service` with EGRESS_DKS_*: its own crypto, DKS stub over mTLS; rule
 * `decrypt` + `compress`/`gz`) vs a floor pipeline doing GetObject → AES-CTR decipher → gzip →
 * Upload with the same budget, and the floor again at gzip level 1. Then gzip alone: plain JSON
 * lines, rule `compress`/`gz`, vs GetObject → gzip → Upload.
 */
import os from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import {
  createCtrCipher,
  createCtrDecipher,
  DataKeyServiceClient,
  readHtmeEnvelope,
} from '../src/egress/crypto/index.ts';
import { ensureCertificates, loadCertificates } from '../src/tls/certificates.ts';
import { startDksStub } from '../stubs/dks/index.ts';
import { type Benchmark, type Figure, round } from './lib.ts';
import { mapLimit, OBJECT_CONCURRENCY } from './support/concurrency.ts';
import { contentStream, MiB, s3Rule, scaled } from './support/content.ts';
import { startCopyWorld } from './support/copy-world.ts';
import { listKeys, rawCopy } from './support/floor.ts';
import { describeCpu, measured, mibPerSecond } from './support/measure.ts';
import { startServiceProcess } from './support/processes.ts';

/** Issue 17: gzip and decrypt + gzip at least 0.9× their floors. */
const GOAL = 0.9;

export const decryptGzipBenchmark: Benchmark = {
  name: 'decrypt-gzip',
  description:
    'Decrypt + gzip: 32 × 8 MiB HTME-encrypted JSON lines through the egress service (own process, decrypt + compress gz, default gzip level) vs a floor GET → AES-CTR decipher → gzip → Upload, same budget; floors at gzip levels 1 and 6. Then gzip alone: 32 × 8 MiB plain JSON lines, rule compress gz, vs GET → gzip -6 → Upload.',
  async run() {
    const count = scaled(32);
    const size = 8 * MiB;
    const certsDir = path.join(os.tmpdir(), 'egress-bench-certs');
    const certs = await ensureCertificates(certsDir);
    const tls = await loadCertificates(certs);
    const dksStub = await startDksStub({ port: 0, tls });
    const dks = new DataKeyServiceClient({
      url: dksStub.url,
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
    });
    const world = await startCopyWorld('dec');
    const { edge, kit, source, destination, table, queueUrl } = world;
    try {
      const gz = { decrypt: true, compress: true, compress_fmt: 'gz' };
      await kit.putRules({ table: table }, [
        s3Rule('warm/', source, destination, 'svc-warm/', gz),
        s3Rule('enc/', source, destination, 'svc-enc/', gz),
        s3Rule('plain/', source, destination, 'svc-plain/', { compress: true, compress_fmt: 'gz' }),
      ]);
      const dataKey = await dks.generateDataKey();
      const putEncrypted = async (key: string, seed: number) => {
        const iv = Buffer.alloc(16);
        iv.writeUInt32BE(seed, 0);
        const cipher = createCtrCipher(dataKey.plaintextDataKey, iv);
        contentStream(size, seed).pipe(cipher);
        await kit.putObject(source, key, cipher, {
          datakeyencryptionkeyid: dataKey.keyEncryptionKeyId,
          ciphertext: dataKey.encryptedDataKey,
          iv: iv.toString('base64'),
        });
      };
      console.error(`  generating ${count} × 8 MiB HTME-encrypted objects…`);
      await mapLimit([0, 1], 2, (i) => putEncrypted(`warm/part-${i}.txt.enc`, 5000 + i));
      const keys = Array.from({ length: count }, (_, i) => `enc/part-${String(i).padStart(4, '0')}.txt.enc`);
      await mapLimit(keys, 4, (key, i) => putEncrypted(key, i));
      const plainKeys = Array.from(
        { length: count },
        (_, i) => `plain/part-${String(i).padStart(4, '0')}.txt`,
      );
      await mapLimit(plainKeys, 4, (key, i) => kit.putObject(source, key, contentStream(size, 100 + i)));
      await edge.watch(destination);

      const service = await startServiceProcess(edge.endpoint, {
        EGRESS_QUEUE_URL: queueUrl,
        EGRESS_TABLE: table,
        EGRESS_DKS_URL: dksStub.url,
        EGRESS_DKS_CA: certs.ca,
        EGRESS_DKS_CERT: certs.clientCert,
        EGRESS_DKS_KEY: certs.clientKey,
      });
      const pids = { service: service.pid, edge: edge.pid };
      try {
        const floor = (prefix: string, level: number) =>
          measured(pids, async () => {
            const objects = await listKeys(kit.clients.s3, source, `${prefix}/`);
            await mapLimit(objects, OBJECT_CONCURRENCY, async ({ key }) => {
              // The envelope comes from the GET that streams the body (one GET, like the service).
              await rawCopy(
                kit.clients.s3,
                { bucket: source, key },
                {
                  bucket: destination,
                  key: `floor-l${level}-${prefix}/${key.slice(prefix.length + 1, -4)}.gz`,
                },
                async (metadata) => {
                  const envelope = readHtmeEnvelope(metadata)!;
                  const plain = await dks.decryptDataKey(
                    envelope.keyEncryptionKeyId,
                    envelope.encryptedDataKey,
                  );
                  return [createCtrDecipher(plain, envelope.iv), createGzip({ level })];
                },
              );
            });
          });
        // Warm-up, unmeasured.
        await kit.sendFlag({ queueUrl: queueUrl }, 'warm/pipeline_success.flag', source);
        await edge.writes.waitForDistinct(destination, 'svc-warm/', 2, 60_000);
        await floor('warm', 6);

        console.error('  floor (gzip level 6 = zlib default)…');
        const floor6 = await floor('enc', 6);
        console.error('  service…');
        const serviceRun = await measured(pids, async () => {
          await kit.sendFlag({ queueUrl: queueUrl }, 'enc/pipeline_success.flag', source);
          return edge.writes.waitForDistinct(destination, 'svc-enc/', count, 600_000);
        });
        console.error('  floor (gzip level 1)…');
        const floor1 = await floor('enc', 1);
        console.error('  gzip only: floor, then service…');
        const gzipFloor = await measured(pids, async () => {
          const objects = await listKeys(kit.clients.s3, source, 'plain/');
          await mapLimit(objects, OBJECT_CONCURRENCY, ({ key }) =>
            rawCopy(
              kit.clients.s3,
              { bucket: source, key },
              { bucket: destination, key: `floor-plain/${key.slice('plain/'.length)}.gz` },
              [createGzip({ level: 6 })],
            ),
          );
        });
        const gzipService = await measured(pids, async () => {
          await kit.sendFlag({ queueUrl: queueUrl }, 'plain/pipeline_success.flag', source);
          return edge.writes.waitForDistinct(destination, 'svc-plain/', count, 600_000);
        });

        const sizes = async (prefix: string) =>
          (await listKeys(kit.clients.s3, destination, prefix)).reduce((sum, object) => sum + object.size, 0);
        const serviceBytes = await sizes('svc-enc/');
        const floor6Bytes = await sizes('floor-l6-enc/');
        const floor1Bytes = await sizes('floor-l1-enc/');
        const total = count * size;
        const value = mibPerSecond(total, serviceRun.ms);
        const floorValue = mibPerSecond(total, floor6.ms);
        const ratio = round(value / floorValue);
        const figures: Figure[] = [
          {
            name: `${count} × 8 MiB decrypt + gzip (source MiB/s, flag → last object written)`,
            value,
            unit: 'MiB/s',
            floor: { name: 'GET → decipher → gzip -6 → Upload, same budget', value: floorValue, ratio },
            goal: { text: `≥ ${GOAL}× floor`, met: ratio >= GOAL },
          },
          {
            name: `${count} × 8 MiB gzip only (source MiB/s, flag → last object written)`,
            value: mibPerSecond(total, gzipService.ms),
            unit: 'MiB/s',
            floor: {
              name: 'GET → gzip -6 → Upload, same budget',
              value: mibPerSecond(total, gzipFloor.ms),
              ratio: round(gzipFloor.ms / gzipService.ms),
            },
            goal: { text: `≥ ${GOAL}× floor`, met: round(gzipFloor.ms / gzipService.ms) >= GOAL },
          },
          {
            name: 'floor at gzip level 1 (what EGRESS_COMPRESSION_LEVEL=1 buys)',
            value: mibPerSecond(total, floor1.ms),
            unit: 'MiB/s',
            floor: {
              name: 'floor at level 6',
              value: floorValue,
              ratio: round(mibPerSecond(total, floor1.ms) / floorValue),
            },
          },
          {
            name: 'compressed / plaintext, service (level 6)',
            value: round(serviceBytes / total, 3),
            unit: '',
          },
          { name: 'compressed / plaintext, floor level 6', value: round(floor6Bytes / total, 3), unit: '' },
          { name: 'compressed / plaintext, floor level 1', value: round(floor1Bytes / total, 3), unit: '' },
        ];
        return {
          benchmark: 'decrypt-gzip',
          description: this.description,
          figures,
          notes: [
            'The service runs with its default gzip level (EGRESS_COMPRESSION_LEVEL 6); the level-1 floor shows what level 1 would buy.',
            `CPU (% of one core) — service run: ${describeCpu(serviceRun.cpu)}; floor L6: ${describeCpu(floor6.cpu)}; floor L1: ${describeCpu(floor1.cpu)}; gzip only, service: ${describeCpu(gzipService.cpu)}, floor: ${describeCpu(gzipFloor.cpu)}. zlib streams run on the libuv thread pool, so gzip of several objects can use both cores.`,
            "Decryption is the service's own (built from EGRESS_DKS_*); the DKS stub runs in the bench process and serves one unwrap per process, then each client's key cache.",
          ],
        };
      } finally {
        await service.stop();
      }
    } finally {
      await world.close();
      await dks.close();
      await dksStub.stop();
    }
  },
};
