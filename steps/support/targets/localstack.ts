import { existsSync } from 'node:fs';
import type { TestTarget } from '../target.ts';
import { startSandboxTarget } from './embedded.ts';

/**
 * The LocalStack image, pinned in one place: 4.14.0 is the last tag that needs no auth token
 * (later tags require LOCALSTACK_AUTH_TOKEN, which is passed through when set).
 */
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.14.0';

/** Why LocalStack cannot run here, or undefined when a container runtime answers. */
export async function containerRuntimeUnavailable(): Promise<string | undefined> {
  const socket = '/var/run/docker.sock';
  if (!process.env.DOCKER_HOST && !existsSync(socket)) {
    return `no container runtime (DOCKER_HOST is unset and ${socket} does not exist)`;
  }
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref(),
      ),
    ]);
    return undefined;
  } catch (error) {
    return `no working container runtime (${(error as Error).message})`;
  }
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
