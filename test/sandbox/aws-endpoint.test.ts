import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsEndpointUnreachableError, waitForAwsEndpoint } from '../../src/aws/endpoint-probe.ts';
import { parseEnvironment } from '../../src/aws/provisioning/index.ts';
import { chooseAwsEndpoint, endpointCredentials, endpointWaitMs } from '../../src/sandbox/aws-endpoint.ts';

describe('chooseAwsEndpoint: flag, then EGRESS_AWS_ENDPOINT_URL, then the environment file', () => {
  it.each([
    ['nothing set: the embedded edge', undefined, {}, undefined, undefined],
    [
      'the flag wins over everything',
      'http://127.0.0.1:5000',
      { EGRESS_AWS_ENDPOINT_URL: 'http://127.0.0.1:6000' },
      'http://127.0.0.1:7000',
      { endpoint: 'http://127.0.0.1:5000', source: '--aws-endpoint' },
    ],
    [
      'the variable wins over the file',
      undefined,
      { EGRESS_AWS_ENDPOINT_URL: 'http://127.0.0.1:6000' },
      'http://127.0.0.1:7000',
      { endpoint: 'http://127.0.0.1:6000', source: 'EGRESS_AWS_ENDPOINT_URL' },
    ],
    [
      'the file alone',
      undefined,
      {},
      'https://localhost:4566/',
      { endpoint: 'https://localhost:4566', source: 'aws.endpoint' },
    ],
    ['an empty variable counts as unset', undefined, { EGRESS_AWS_ENDPOINT_URL: '' }, undefined, undefined],
  ] as const)('%s', (_name, flag, env, file, expected) => {
    expect(chooseAwsEndpoint(flag, env, file)).toEqual(expected);
  });

  it.each([
    ['not a URL', 'localhost:5000', '--aws-endpoint localhost:5000 must be an http:// or https:// URL'],
    ['no scheme at all', '127.0.0.1', '--aws-endpoint 127.0.0.1 is not a URL (e.g. http://127.0.0.1:5000)'],
    [
      'another scheme',
      'ftp://127.0.0.1',
      '--aws-endpoint ftp://127.0.0.1 must be an http:// or https:// URL',
    ],
  ])('refuses %s, naming where it came from', (_name, flag, message) => {
    expect(() => chooseAwsEndpoint(flag, {}, undefined)).toThrow(message);
  });

  it('names the variable when the variable is wrong', () => {
    expect(() => chooseAwsEndpoint(undefined, { EGRESS_AWS_ENDPOINT_URL: 'nope' }, undefined)).toThrow(
      /^EGRESS_AWS_ENDPOINT_URL nope is not a URL/,
    );
  });
});

describe('endpointCredentials', () => {
  it.each([
    ['none set: the emulators’ test/test', {}, { accessKeyId: 'test', secretAccessKey: 'test' }],
    [
      'both set',
      { AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's3cr3t' },
      { accessKeyId: 'AKIA1', secretAccessKey: 's3cr3t' },
    ],
    [
      'with a session token',
      { AWS_ACCESS_KEY_ID: 'ASIA1', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 'tok' },
      { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 'tok' },
    ],
  ])('%s', (_name, env, expected) => {
    expect(endpointCredentials(env)).toEqual(expected);
  });

  it.each([
    [{ AWS_ACCESS_KEY_ID: 'AKIA1' }, 'AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY'],
    [{ AWS_SECRET_ACCESS_KEY: 's' }, 'AWS_SECRET_ACCESS_KEY is set without AWS_ACCESS_KEY_ID'],
  ])('refuses half a pair: %o', (env, message) => {
    expect(() => endpointCredentials(env)).toThrow(message);
  });
});

describe('endpointWaitMs', () => {
  it.each([
    [{}, 15_000],
    [{ EGRESS_AWS_ENDPOINT_WAIT_SECONDS: '' }, 15_000],
    [{ EGRESS_AWS_ENDPOINT_WAIT_SECONDS: '1' }, 1_000],
    [{ EGRESS_AWS_ENDPOINT_WAIT_SECONDS: '2.5' }, 2_500],
    [{ EGRESS_AWS_ENDPOINT_WAIT_SECONDS: '600' }, 600_000],
  ])('%o → %i ms', (env, expected) => {
    expect(endpointWaitMs(env)).toBe(expected);
  });

  it.each(['0', '601', 'soon', '-3'])('refuses %s, naming the limit', (value) => {
    expect(() => endpointWaitMs({ EGRESS_AWS_ENDPOINT_WAIT_SECONDS: value })).toThrow(
      `EGRESS_AWS_ENDPOINT_WAIT_SECONDS=${value} must be a number of seconds from 1 to 600`,
    );
  });
});

describe('the environment file’s aws.endpoint', () => {
  it('is read when it is an http(s) URL', async () => {
    const loaded = await parseEnvironment('aws: { endpoint: "http://127.0.0.1:5000" }\n', 'env.yml');
    expect(loaded.environment.aws?.endpoint).toBe('http://127.0.0.1:5000');
  });

  it('is refused, with its line, when it is not', async () => {
    await expect(parseEnvironment('aws:\n  endpoint: ftp://x\n', 'env.yml')).rejects.toThrow(
      /env\.yml: line 2, column 13: aws\.endpoint: must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it('takes no other field', async () => {
    await expect(parseEnvironment('aws: { region: eu-west-1 }\n', 'env.yml')).rejects.toThrow(/aws/);
  });
});

describe('waitForAwsEndpoint', () => {
  let answering: http.Server;
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    // Like an emulator refusing an unsigned request: any answer counts.
    answering = http.createServer((_req, res) => res.writeHead(403).end('AccessDenied'));
    // Accepts connections and never answers: a hung process, or something that is not HTTP.
    silent = net.createServer((socket) => sockets.add(socket));
    await Promise.all([
      new Promise<void>((resolve) => answering.listen(0, '127.0.0.1', resolve)),
      new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve)),
    ]);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([
      new Promise((resolve) => answering.close(resolve)),
      new Promise((resolve) => silent.close(resolve)),
    ]);
  });

  it('resolves as soon as anything answers HTTP, whatever the status', async () => {
    const port = (answering.address() as net.AddressInfo).port;
    await expect(
      waitForAwsEndpoint(`http://127.0.0.1:${port}`, { timeoutMs: 5_000 }),
    ).resolves.toBeUndefined();
  });

  it('gives up on a port where nothing listens, naming the endpoint and the reason', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await waitForAwsEndpoint(`http://127.0.0.1:${port}`, {
      timeoutMs: 600,
      intervalMs: 50,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsEndpointUnreachableError);
    expect((error as AwsEndpointUnreachableError).message).toContain(
      `http://127.0.0.1:${port} did not answer`,
    );
    expect((error as AwsEndpointUnreachableError).lastProblem).toBe('ECONNREFUSED');
  });

  it('gives up on a server that accepts the connection but never answers', async () => {
    const port = (silent.address() as net.AddressInfo).port;
    const error = await waitForAwsEndpoint(`http://127.0.0.1:${port}`, {
      timeoutMs: 800,
      attemptTimeoutMs: 300,
      intervalMs: 50,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsEndpointUnreachableError);
    expect((error as AwsEndpointUnreachableError).lastProblem).toMatch(/no answer within/);
  });

  it('stops waiting when its signal aborts', async () => {
    const port = (silent.address() as net.AddressInfo).port;
    const controller = new AbortController();
    const waiting = waitForAwsEndpoint(`http://127.0.0.1:${port}`, {
      timeoutMs: 60_000,
      attemptTimeoutMs: 100,
      intervalMs: 50,
      signal: controller.signal,
    });
    controller.abort(new Error('stopped by the test'));
    await expect(waiting).rejects.toThrow('stopped by the test');
  });
});
