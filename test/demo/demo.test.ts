import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'demo-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('egress sandbox --exit-after-demo (what npm start shows)', () => {
  it('tells the story and exits 0 after the summary of what each recipient received', async () => {
    const stateDir = path.join(dir, 'state');
    const cli = runCli(['sandbox', '--exit-after-demo', '--state-dir', stateDir], EPHEMERAL_PORTS);
    const { code, signal } = await cli.exited;
    const output = cli.output();
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });

    // The story, in order: ready, rules seeded, uploads, S3 events, deliveries, SFT agent, stub NiFi.
    const order = [
      /sandbox ready/,
      /demo: seeded the original's 97 routing rules into table data-egress/,
      /upload\s+uploaded s3:\/\/published-bucket\/dataegress\/cbol-report\/\d{4}-\d{2}-\d{2}\/cbol-report-\d{8}-part-001\.csv\.enc \(\d+ bytes, HTME-encrypted under a DKS data key\)/,
      /S3 event\s+S3 event ObjectCreated:Put for s3:\/\/published-bucket\/dataegress\/cbol-report\//,
      /upload \[#{20}\] 24\.0\/24\.0 MiB/,
      /demo summary — what each recipient received/,
    ];
    let at = 0;
    for (const pattern of order) {
      const found = output.slice(at).search(pattern);
      expect(found, `${pattern} after position ${at}`).toBeGreaterThanOrEqual(0);
      at += found;
    }
    expect(output).toMatch(/delivery\s+CBOL .* → s3:\/\/opsmi-destination\/cbol\//);
    expect(output).toMatch(
      /SFT agent\s+SFT agent sent health-extract-\d{8}\.csv by route internal\/DandARed\/inbound\/Dataworks\/UCFS\/tactical/,
    );
    expect(output).toMatch(
      /stub NiFi\s+stub NiFi stored db\.core\.claimant-045-070-000001\.\d{8}\.txt\.gz\.enc/,
    );

    // The summary: one line per delivery, contents checked.
    const summary = output.slice(output.indexOf('demo summary'));
    const day = /cbol\/(\d{4}-\d{2}-\d{2})\//.exec(summary)?.[1];
    const compact = day?.replaceAll('-', '');
    expect(summary).toMatch(/recipient\s+pipeline\s+via\s+received\s+bytes\s+check/);
    for (const line of [
      new RegExp(
        `CBOL\\s+CBOL\\s+S3\\s+s3://opsmi-destination/cbol/${day}/cbol-report-${compact}-part-001\\.csv\\s+3889\\s+decrypted ✓`,
      ),
      new RegExp(
        `CBOL\\s+CBOL\\s+S3\\s+s3://opsmi-destination/cbol/${day}/cbol-report-${compact}-part-002\\.csv\\s+3889\\s+decrypted ✓`,
      ),
      new RegExp(
        `DSP\\s+RIS_DSP_Manual\\s+SFT → internal/CEHA/inbound/Dataworks/UCFS/data\\s+s3://stub-hdfs-local/internal/CEHA/inbound/Dataworks/UCFS/data/db\\.core\\.claimant-045-070-000001\\.${compact}\\.txt\\.gz\\.enc\\s+\\d+\\s+decrypted ✓`,
      ),
      new RegExp(
        `DSP\\s+RIS_DSP_Manual\\s+SFT → internal/DSPRIS/inbound/Dataworks/UCFS/data\\s+s3://stub-hdfs-local/internal/DSPRIS/inbound/Dataworks/UCFS/data/db\\.core\\.claimant-045-070-000001\\.${compact}\\.txt\\.gz\\.enc\\s+\\d+\\s+decrypted ✓`,
      ),
      new RegExp(
        `ONESERVICE\\s+ONESERVICE\\s+S3\\s+s3://oneservice-destination/oneservice/${day}/oneservice-extract-${compact}\\.csv\\s+25165824\\s+24\\.0 MiB ✓`,
      ),
      new RegExp(
        `SAS\\s+SAS_HEALTH_SFT\\s+SFT → internal/DandARed/inbound/Dataworks/UCFS/tactical\\s+s3://stub-hdfs-local/internal/DandARed/inbound/Dataworks/UCFS/tactical/health-extract-${compact}\\.csv\\s+4457\\s+same bytes ✓`,
      ),
      /6 deliveries to 4 recipients, 25179671 bytes/,
      /demo finished in \d+\.\d s/,
    ]) {
      expect(summary).toMatch(line);
    }
    expect(output).not.toMatch(/Stream of unknown length/);
    expect(existsSync(path.join(stateDir, 'sandbox.json'))).toBe(false);
  }, 90_000);

  it('a demo that cannot run says why and exits non-zero', async () => {
    // An environment without the buckets the real rules read from: publishing fails.
    const env = path.join(dir, 'bare.yml');
    await writeFile(
      env,
      [
        'buckets: [{ name: source }, { name: destination }]',
        'queues: [{ name: data-egress, visibilityTimeoutSeconds: 5, deadLetter: { name: data-egress-dlq, maxReceiveCount: 3 } }]',
        'tables: [{ name: data-egress }]',
      ].join('\n'),
    );
    const cli = runCli(
      ['sandbox', '--exit-after-demo', '--state-dir', path.join(dir, 'bare'), '--env', env],
      EPHEMERAL_PORTS,
    );
    const { code } = await cli.exited;
    expect(code, cli.output()).toBe(1);
    expect(cli.output()).toMatch(
      /egress: demo failed: uploading s3:\/\/published-bucket\/dataegress\/cbol-report\/.*: The specified bucket does not exist/,
    );
    expect(cli.output()).not.toMatch(/demo summary/);
  }, 60_000);
});
