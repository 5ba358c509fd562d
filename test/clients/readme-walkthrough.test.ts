import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../src/aws/clients.ts';
import type { SandboxState } from '../../src/sandbox/state-file.ts';
import { type CliProcess, EPHEMERAL_PORTS, runCli } from '../helpers/cli.ts';
import { motoAvailable, useMoto } from '../helpers/moto.ts';
import { awsCliVersion, isolatedAwsEnv, run } from './support.ts';

/*
 * The README's AWS CLI walk-through, taken from README.md itself (between its
 * `cli-walkthrough` markers, not a copy) and run by bash with the installed `aws` against a
 * sandbox started as a user would. It must deliver the file its empty flag announces.
 */

const BEGIN = '<!-- cli-walkthrough:begin -->';
const END = '<!-- cli-walkthrough:end -->';

/** The shell block between the markers of README.md. */
async function readmeWalkthrough(): Promise<string> {
  const readme = await readFile(path.resolve('README.md'), 'utf8');
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin === -1 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} section`);
  const fenced = /```sh\n([\s\S]*?)```/.exec(readme.slice(begin, end));
  if (!fenced) throw new Error('the cli-walkthrough section of README.md has no ```sh block');
  return fenced[1]!;
}

const version = awsCliVersion();
if (!version) console.log('skipped: no `aws` command on this machine (README CLI walk-through)');

/**
 * The walk-through against a sandbox started with `--no-demo` and `extraArgs()` (read when the
 * sandbox starts, so a peer started by an earlier hook can give its endpoint).
 */
function walkthroughAgainst(extraArgs: () => string[]) {
  const id = randomUUID().slice(0, 8);
  const stateDir = path.resolve('.tmp', `readme-walkthrough-${id}`, 'state');
  const workDir = path.resolve('.tmp', `readme-walkthrough-${id}`, 'work');
  let sandbox: CliProcess;

  beforeAll(async () => {
    await mkdir(stateDir, { recursive: true });
    await mkdir(workDir, { recursive: true });
    sandbox = runCli(['sandbox', '--no-demo', '--state-dir', stateDir, ...extraArgs()], EPHEMERAL_PORTS);
    await sandbox.waitForOutput(/sandbox ready/, 60_000);
  }, 90_000);

  afterAll(async () => {
    if (sandbox && sandbox.child.exitCode === null) {
      sandbox.child.kill('SIGTERM');
      await sandbox.exited;
    }
    await rm(path.dirname(stateDir), { recursive: true, force: true });
  }, 60_000);

  it('runs as written and delivers the file its empty flag announces', async () => {
    const block = await readmeWalkthrough();
    expect(block).toContain('eval "$(npx egress env)"');

    // A fresh shell: no AWS settings of this machine, only what the block itself exports. The
    // working directory is inside the project so that `npx egress` finds this project.
    const result = await run('bash', ['-e', '-c', block], {
      cwd: workDir,
      env: isolatedAwsEnv({ EGRESS_STATE_DIR: stateDir }),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\d+ report\.csv\n/);

    const state = JSON.parse(await readFile(path.join(stateDir, 'sandbox.json'), 'utf8')) as SandboxState;
    const s3 = createS3Client({ region: state.region, endpoint: state.aws.endpoint, credentials: state.aws });
    try {
      const flag = await s3.send(
        new HeadObjectCommand({ Bucket: 'source', Key: 'dataegress/demo/pipeline_success.flag' }),
      );
      expect(flag.ContentLength).toBe(0);
      const delivered = await s3.send(
        new GetObjectCommand({ Bucket: 'destination', Key: 'demo/report.csv' }),
      );
      expect(await delivered.Body!.transformToString()).toBe(
        await readFile(path.join(workDir, 'report.csv'), 'utf8'),
      );
    } finally {
      s3.destroy();
    }
  }, 180_000);
}

describe.skipIf(!version)(`the README's CLI walk-through (${version ?? 'no aws'})`, () => {
  walkthroughAgainst(() => []);
});

// Issue 16 item 6: the same block, unchanged, against a sandbox on moto (a peer this project did not write).
describe.skipIf(!version || !motoAvailable('the README walk-through on moto'))(
  `the README's CLI walk-through on moto (${version ?? 'no aws'})`,
  () => {
    const moto = useMoto();
    walkthroughAgainst(() => ['--aws-endpoint', moto().endpoint]);
  },
);
