/**
 * The LocalStack target cannot start here (no container runtime), so what happens without one is
 * tested directly: the probe's answer, the decision (skip with a printed reason, or fail when
 * EGRESS_TARGET=localstack asked for it), and — end to end — cucumber's own output.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedTarget } from '../../steps/support/target.ts';
import {
  containerRuntimeUnavailable,
  LOCALSTACK_IMAGE,
  planLocalstack,
} from '../../steps/support/targets/localstack.ts';
import { PROJECT_ROOT as ROOT, runCucumber } from '../helpers/cucumber.ts';

const nowhere = ['/nonexistent/docker.sock', '/nonexistent/.testcontainers.properties'];

describe('the container runtime probe', () => {
  it('answers at once, without asking testcontainers, when no runtime is configured', async () => {
    let asked = false;
    const reason = await containerRuntimeUnavailable({
      env: {},
      candidates: nowhere,
      probe: async () => {
        asked = true;
      },
    });
    expect(reason).toBe(
      'no container runtime (DOCKER_HOST is unset and none of /nonexistent/docker.sock, /nonexistent/.testcontainers.properties exists)',
    );
    expect(asked).toBe(false);
  });

  it('reports what the runtime said when DOCKER_HOST is set but nothing answers', async () => {
    const reason = await containerRuntimeUnavailable({
      env: { DOCKER_HOST: 'tcp://127.0.0.1:1' },
      candidates: nowhere,
      probe: async () => {
        throw new Error('Could not find a working container runtime strategy');
      },
    });
    expect(reason).toBe('no working container runtime (Could not find a working container runtime strategy)');
  });

  it('gives up on a runtime that does not answer within the deadline', async () => {
    const reason = await containerRuntimeUnavailable({
      env: { DOCKER_HOST: 'unix:///var/run/hanging.sock' },
      candidates: nowhere,
      probe: () => new Promise(() => {}),
      timeoutMs: 50,
    });
    expect(reason).toBe('no working container runtime (no answer within 0.05 s)');
  });

  it('answers undefined when the runtime answers', async () => {
    const reason = await containerRuntimeUnavailable({
      env: { DOCKER_HOST: 'unix:///var/run/docker.sock' },
      candidates: nowhere,
      probe: async () => ({}),
    });
    expect(reason).toBeUndefined();
  });
});

describe('what the scenarios do without LocalStack', () => {
  it.each(['embedded', 'external'] as const)('skips @localstack scenarios on %s, saying why', (target) => {
    const plan = planLocalstack(target, 'no container runtime (…)');
    expect(plan).toEqual({
      action: 'skip',
      message:
        '@localstack scenarios skipped: no container runtime (…). Run them where Docker runs; EGRESS_TARGET=localstack makes a missing runtime an error.',
    });
  });

  it('fails when EGRESS_TARGET=localstack asked for LocalStack explicitly', () => {
    const plan = planLocalstack('localstack', 'no container runtime (…)');
    expect(plan.action).toBe('fail');
    expect(plan.action === 'fail' && plan.error.message).toBe(
      'EGRESS_TARGET=localstack was requested, but no container runtime (…)',
    );
  });

  it.each(['embedded', 'localstack', 'external'] as const)(
    'runs them on %s when a runtime answers',
    (target) => {
      expect(planLocalstack(target, undefined)).toEqual({ action: 'run' });
    },
  );

  it('pins the image to a token-free tag', () => {
    expect(LOCALSTACK_IMAGE).toBe('localstack/localstack:4.14.0');
  });
});

describe('EGRESS_TARGET', () => {
  it.each([
    [undefined, 'embedded'],
    ['', 'embedded'],
    ['LocalStack', 'localstack'],
    ['external', 'external'],
  ])('%j selects %s', (value, expected) => {
    expect(requestedTarget(value === undefined ? {} : { EGRESS_TARGET: value })).toBe(expected);
  });

  it('refuses an unknown target, naming the valid ones', () => {
    expect(() => requestedTarget({ EGRESS_TARGET: 'docker' })).toThrow(
      'EGRESS_TARGET=docker is not one of embedded, localstack, external',
    );
  });
});

/**
 * Runs cucumber on the LocalStack feature with no runtime in sight (an empty HOME, no DOCKER_HOST),
 * with a configuration that writes no reports (the real run's reports stay as they are).
 */
async function cucumber(
  env: NodeJS.ProcessEnv,
  home: string,
): Promise<{ code: number | null; output: string }> {
  const run = runCucumber(path.join(home, 'cucumber.mjs'), ['features/localstack.feature'], {
    DOCKER_HOST: '',
    XDG_RUNTIME_DIR: '',
    HOME: home,
    ...env,
  });
  return { code: (await run.exited).code, output: run.output() };
}

describe('cucumber without a container runtime', async () => {
  const runtime = await containerRuntimeUnavailable({
    env: { DOCKER_HOST: '' },
    candidates: ['/var/run/docker.sock'],
  });
  if (!runtime) console.log('cucumber skip-path checks skipped: this machine has a container runtime');
  let home: string;
  beforeAll(async () => {
    await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
    home = await mkdtemp(path.join(ROOT, '.tmp', 'no-docker-'));
    await writeFile(
      path.join(home, 'cucumber.mjs'),
      "export default { import: ['steps/**/*.ts'], format: ['summary'], strict: true, forceExit: true };\n",
    );
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it.skipIf(!runtime)(
    'skips the @localstack scenarios of a default run with one printed reason',
    async () => {
      const { code, output } = await cucumber({ EGRESS_TARGET: '' }, home);
      expect(output.match(/@localstack scenarios skipped: no container runtime/g)).toHaveLength(1);
      expect(output).toMatch(/3 scenarios \(3 skipped\)/);
      expect(code).toBe(0);
    },
    60_000,
  );

  it.skipIf(!runtime)(
    'fails a run that asked for EGRESS_TARGET=localstack',
    async () => {
      const { code, output } = await cucumber({ EGRESS_TARGET: 'localstack' }, home);
      expect(output).toContain('EGRESS_TARGET=localstack was requested, but no container runtime');
      expect(code).not.toBe(0);
    },
    60_000,
  );
});
