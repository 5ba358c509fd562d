import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TargetName, TestTarget } from '../target.ts';
import { startSandboxTarget } from './embedded.ts';

/**
 * The LocalStack image, pinned in one place: 4.14.0 is the last tag that needs no auth token
 * (later tags require LOCALSTACK_AUTH_TOKEN, which is passed through when set). docker-compose.yml
 * uses the same tag; test/compose checks that they agree.
 */
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.14.0';

/** Where a Docker-compatible engine usually listens when DOCKER_HOST is unset. */
export function defaultRuntimeSockets(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = os.homedir();
  return [
    '/var/run/docker.sock',
    ...(env.XDG_RUNTIME_DIR
      ? [path.join(env.XDG_RUNTIME_DIR, 'docker.sock'), path.join(env.XDG_RUNTIME_DIR, 'podman/podman.sock')]
      : []),
    path.join(home, '.docker/run/docker.sock'),
    path.join(home, '.testcontainers.properties'),
  ];
}

export interface RuntimeProbeOptions {
  env?: NodeJS.ProcessEnv;
  /** Paths whose existence suggests a runtime (sockets, testcontainers' properties file). */
  candidates?: string[];
  /** Asks the runtime for real. @defaultValue testcontainers' `getContainerRuntimeClient()` */
  probe?: () => Promise<unknown>;
  timeoutMs?: number;
}

/**
 * Why LocalStack cannot run here, or `undefined` when a container runtime answers. Without
 * DOCKER_HOST and without any of the usual sockets it answers at once, with no import of
 * testcontainers; otherwise it asks the runtime, with a deadline.
 */
export async function containerRuntimeUnavailable(
  options: RuntimeProbeOptions = {},
): Promise<string | undefined> {
  const env = options.env ?? process.env;
  const candidates = options.candidates ?? defaultRuntimeSockets(env);
  if (!env.DOCKER_HOST && !candidates.some((candidate) => existsSync(candidate))) {
    return `no container runtime (DOCKER_HOST is unset and none of ${candidates.join(', ')} exists)`;
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const probe =
    options.probe ??
    (async () => {
      const { getContainerRuntimeClient } = await import('testcontainers');
      return getContainerRuntimeClient();
    });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
        timer.unref();
      }),
    ]);
    return undefined;
  } catch (error) {
    return `no working container runtime (${(error as Error).message})`;
  } finally {
    clearTimeout(timer);
  }
}

/** What to do with LocalStack scenarios, given the requested target and the probe's answer. */
export type LocalstackPlan =
  | { action: 'run' }
  | { action: 'skip'; message: string }
  | { action: 'fail'; error: Error };

/**
 * With a runtime: run. Without one: fail when `EGRESS_TARGET=localstack` asked for LocalStack
 * explicitly, otherwise skip the @localstack scenarios with one printed reason.
 */
export function planLocalstack(requested: TargetName, unavailable: string | undefined): LocalstackPlan {
  if (!unavailable) return { action: 'run' };
  if (requested === 'localstack') {
    return { action: 'fail', error: new Error(`EGRESS_TARGET=localstack was requested, but ${unavailable}`) };
  }
  return {
    action: 'skip',
    message:
      `@localstack scenarios skipped: ${unavailable}. ` +
      'Run them where Docker runs; EGRESS_TARGET=localstack makes a missing runtime an error.',
  };
}

/**
 * LocalStack in a container (testcontainers), provisioned like the sandbox, with the egress
 * service, stubs and SFT agent running in this process against it.
 */
export async function startLocalstackTarget(): Promise<TestTarget> {
  const { LocalstackContainer } = await import('@testcontainers/localstack');
  let container = new LocalstackContainer(LOCALSTACK_IMAGE).withEnvironment({
    SERVICES: 's3,sqs,dynamodb,ssm,sts',
  });
  if (process.env.LOCALSTACK_AUTH_TOKEN) {
    container = container.withEnvironment({ LOCALSTACK_AUTH_TOKEN: process.env.LOCALSTACK_AUTH_TOKEN });
  }
  const started = await container.start();
  try {
    const target = await startSandboxTarget('localstack', started.getConnectionUri());
    return {
      ...target,
      stop: async () => {
        await target.stop();
        await started.stop();
      },
    };
  } catch (error) {
    await started.stop();
    throw error;
  }
}
