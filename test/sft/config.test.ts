import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSftAgentConfig } from '../../src/sft/config/load.ts';
import { parseSftAgentConfig, SftConfigError } from '../../src/sft/config/parse.ts';
import { resolveUnderRoot } from '../../src/sft/config/paths.ts';
import { SFT_TEMPLATE_DIR } from '../../src/sft/sandbox-config.ts';

const VARS = { aws_destination_url: 'stub-nifi.dev.dataworks.dwp.gov.uk', apiKey: 'Te5tAp1Key' };
const TEMPLATES = {
  agent: path.join(SFT_TEMPLATE_DIR, 'agent-config.yml.tpl'),
  agentTls: path.join(SFT_TEMPLATE_DIR, 'agent-config-with-tls.yml.tpl'),
  application: path.join(SFT_TEMPLATE_DIR, 'agent-application-config.yml.tpl'),
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sft-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const target = path.join(dir, name);
  await writeFile(target, text);
  return target;
}

/** A minimal valid route list, as YAML lines, for tests that break one thing. */
function route(overrides: Record<string, string> = {}): Record<string, unknown> {
  return {
    name: 'r1',
    source: '/data-egress/sas/',
    errorFolder: '/data-egress/error/sas',
    filenameRegex: '.*',
    actions: [{ name: 'httpRequest', properties: { destination: 'https://nifi:8091/x' } }],
    ...overrides,
  };
}

function expectConfigError(run: () => unknown, ...patterns: RegExp[]): SftConfigError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SftConfigError);
  for (const pattern of patterns) expect((caught as Error).message).toMatch(pattern);
  return caught as SftConfigError;
}

describe("the original's configuration files", () => {
  it.each([
    ['agent-config.yml', TEMPLATES.agent],
    ['agent-config-with-tls.yml', TEMPLATES.agentTls],
  ])('%s with the application config spliced in parses completely', (_name, agentConfig) => {
    const config = loadSftAgentConfig(agentConfig, VARS);
    expect(
      config.routes.map((r) => [r.name, r.source, r.errorFolder, r.threadPoolSize, r.deleteOnSend]),
    ).toEqual([
      [
        'internal/CRE/inbound/Dataworks/UCFS/data-CopySubsetToBothRISandCRE',
        '/data-egress/RIS',
        '/data-egress/error/CRE',
        1,
        true,
      ],
      [
        'internal/CRE/inbound/Dataworks/UCFS/data-CopyOtherThanSubsetToRIS',
        '/data-egress/RIS',
        '/data-egress/error/RIS',
        1,
        true,
      ],
      [
        'internal/DSPRIS/inbound/Dataworks/UCFS/data',
        '/data-egress/ris-tmp',
        '/data-egress/error/RIS',
        3,
        true,
      ],
      [
        'internal/DandARed/inbound/Dataworks/UCFS/tactical',
        '/data-egress/sas',
        '/data-egress/error/sas',
        3,
        true,
      ],
      [
        'internal/DandARed/inbound/Dataworks/UCFS/data',
        '/data-egress/warehouse',
        '/data-egress/error/warehouse',
        3,
        true,
      ],
      ['startupTest', '/data-egress/test', '/data-egress/error/test', 3, true],
      ['internal/DandARed/inbound/Test', '/data-egress/awstest', '/data-egress/error/awstest', 3, true],
      ['internal/DA/inbound/Test', '/data-egress/pptest', '/data-egress/error/pptest', 3, true],
      ['internal/DA/inbound/SendTo-CRE', '/data-egress/cre-tmp', '/data-egress/error/CRE', 3, true],
    ]);
    expect(config.routes[0]!.actions).toEqual([
      { type: 'writeFile', destination: '/data-egress/ris-tmp' },
      { type: 'writeFile', destination: '/data-egress/cre-tmp' },
    ]);
    const sendToCre = config.routes[8]!.actions[0]!;
    expect(sendToCre.type === 'httpRequest' && sendToCre.url.href).toBe(
      'https://stub-nifi.dev.dataworks.dwp.gov.uk:8091/internal/CEHA/inbound/Dataworks/UCFS/data',
    );
    const rename = config.routes[7]!.actions[0]!;
    expect(rename.type === 'renameFile' && rename.rename('x.csv')).toBe('TEST_x.csv');
    expect(config.retry).toEqual({
      redeliveryDelayMs: 600_000,
      backOffMultiplier: 2,
      maximumRedeliveries: 3,
      maximumRedeliveryDelayMs: 3_600_000,
    });
    expect(config.readLock).toEqual({ minAgeMs: 20_000, checkIntervalMs: 20_000, timeoutMs: 60_000 });
    expect(config.httpClient).toMatchObject({
      timeoutMs: 3_600_000,
      connectionTimeoutMs: 20_000,
      connectionRequestTimeoutMs: 20_000,
    });
    expect(config.apiKey).toBe('Te5tAp1Key');
    expect(config.warnings.join('\n')).toMatch(/^logging: ignored/m);
  });

  it('reads the TLS variant: keystores parse with a warning, verifyHostname and protocols are honoured', () => {
    const config = loadSftAgentConfig(TEMPLATES.agentTls, VARS);
    expect(config.httpClient.tls).toEqual({
      caPath: undefined,
      certPath: undefined,
      keyPath: undefined,
      verifyHostname: false,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
    });
    expect(config.warnings.join('\n')).toMatch(
      /keyStorePath\/trustStorePath \(Java keystores\) are not read; give PEM/,
    );
  });

  it('takes the two files separately and appends the routes when agent-config has no include', async () => {
    const agentConfig = await file('agent-only.yml', 'readLock:\n  minAge: 2s\napikey: k\n');
    const config = loadSftAgentConfig({ agentConfig, applicationConfig: TEMPLATES.application }, VARS);
    expect(config.routes).toHaveLength(9);
    expect(config.readLock.minAgeMs).toBe(2000);
  });

  it('resolves an include relative to the including file', async () => {
    await file(
      'routes-rel.yml',
      'sender:\n  routes:\n    - name: only\n      source: /a/\n      errorFolder: /e/\n      actions:\n        - name: writeFile\n          properties: { destination: /b/ }\n',
    );
    const agentConfig = await file(
      'agent-rel.yml',
      'readLock: { minAge: 10 }\n<#include "routes-rel.yml">\n',
    );
    expect(loadSftAgentConfig(agentConfig).routes.map((r) => r.name)).toEqual(['only']);
  });

  it('names an undefined template variable with its file and line', () => {
    expectConfigError(
      () => loadSftAgentConfig(TEMPLATES.agent, { apiKey: 'k' }),
      /agent-application-config\.yml\.tpl:37: .*\$\{aws_destination_url\} is not defined/,
    );
  });

  it('names the file and line of a YAML syntax error', async () => {
    const agentConfig = await file('broken.yml', 'readLock:\n  minAge: 1\n sender: [\n');
    expectConfigError(() => loadSftAgentConfig(agentConfig), /broken\.yml:\d+: \(YAML\)/);
  });

  it('names the file and line of a field error in the included routes file', async () => {
    await file(
      'routes-bad.yml',
      [
        'sender:',
        '  routes:',
        '    - name: fine',
        '      source: /a/',
        '      errorFolder: /e/',
        '      actions: [{ name: writeFile, properties: { destination: /b/ } }]',
        '    - name: broken-rename',
        '      source: /c/',
        '      errorFolder: /e/',
        '      actions:',
        '        - name: renameFile',
        '          properties:',
        '            rename_regex: (.+)',
        '            rename_replacement: TEST_$2',
      ].join('\n'),
    );
    const agentConfig = await file('agent-bad.yml', 'apikey: x\n<#include "routes-bad.yml">\n');
    expectConfigError(
      () => loadSftAgentConfig(agentConfig),
      /routes-bad\.yml:14: route "broken-rename" \(sender\.routes\[1\]\): actions\[0\]\.properties\.rename_replacement: replacement refers to group \$2/,
    );
  });

  it('warns about unknown keys instead of failing', () => {
    const config = parseSftAgentConfig(
      { logging: {}, colour: 'blue', sender: { routes: [{ ...route(), extra: 1 }], unknownSender: true } },
      { origin: 'test' },
    );
    expect(config.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^colour: unknown key/),
        expect.stringMatching(/^sender\.routes\[0\]\.extra: unknown key/),
        expect.stringMatching(/^sender\.unknownSender: unknown key/),
      ]),
    );
  });
});

describe('configuration errors name the route and the field', () => {
  const parse =
    (routes: unknown[], extra: Record<string, unknown> = {}) =>
    () =>
      parseSftAgentConfig({ ...extra, sender: { routes } }, { origin: 'inline' });

  it.each([
    [
      'a missing errorFolder',
      [route({ errorFolder: undefined as unknown as string })],
      /route "r1" \(sender\.routes\[0\]\): errorFolder: is required/,
    ],
    [
      'an unknown action',
      [route(), { ...route({ name: 'second' }), actions: [{ name: 'sendCarrierPigeon' }] }],
      /route "second" \(sender\.routes\[1\]\): actions\[0\]\.name: expected an action name/,
    ],
    [
      'a bad URL',
      [{ ...route(), actions: [{ name: 'httpRequest', properties: { destination: 'ftp://x/' } }] }],
      /route "r1" \(sender\.routes\[0\]\): actions\[0\]\.properties\.destination: expected an http/,
    ],
    [
      'a bad filenameRegex',
      [route({ filenameRegex: '(unclosed' })],
      /route "r1" \(sender\.routes\[0\]\): filenameRegex: invalid regular expression/,
    ],
    [
      'a possessive filenameRegex',
      [route({ filenameRegex: 'a++' })],
      /filenameRegex: possessive quantifiers/,
    ],
    [
      'a bad rename_regex',
      [
        {
          ...route(),
          actions: [{ name: 'renameFile', properties: { rename_regex: '(', rename_replacement: 'x' } }],
        },
      ],
      /actions\[0\]\.properties\.rename_regex: invalid regular expression/,
    ],
    [
      'a source that leaves the SFT root',
      [route({ source: '/data-egress/../../etc/' })],
      /route "r1" \(sender\.routes\[0\]\): source: path "\/data-egress\/\.\.\/\.\.\/etc\/" leaves the SFT root/,
    ],
    [
      'an errorFolder that leaves the SFT root',
      [route({ errorFolder: '../outside' })],
      /errorFolder: path "\.\.\/outside" leaves the SFT root/,
    ],
    [
      'a writeFile destination that leaves the SFT root',
      [{ ...route(), actions: [{ name: 'writeFile', properties: { destination: '/a/../../b' } }] }],
      /actions\[0\]\.properties\.destination: path .* leaves the SFT root/,
    ],
    [
      'a writeFile into its own source',
      [{ ...route(), actions: [{ name: 'writeFile', properties: { destination: '/data-egress/sas' } }] }],
      /actions\[0\]\.properties\.destination: writes into the route’s own source/,
    ],
    [
      'an errorFolder that another route watches',
      [route(), route({ name: 'r2', source: '/x/', errorFolder: '/data-egress/sas/' })],
      /route "r2" \(sender\.routes\[1\]\): errorFolder: is also a watched source/,
    ],
    ['threadPoolSize 0', [{ ...route(), threadPoolSize: 0 }], /threadPoolSize: Too small/i],
    [
      'maxThreadPoolSize below threadPoolSize',
      [{ ...route(), threadPoolSize: 3, maxThreadPoolSize: 2 }],
      /maxThreadPoolSize: must not be less than threadPoolSize/,
    ],
    [
      'a string boolean',
      [{ ...route(), deleteOnSend: 'true' }],
      /deleteOnSend: Invalid input: expected boolean/,
    ],
  ])('%s', (_what, routes, message) => {
    expectConfigError(parse(routes), message);
  });

  it.each([
    ['a bad duration', { readLock: { minAge: 'soon' } }, /readLock\.minAge: invalid duration "soon"/],
    ['a missing sender', { sender: undefined }, /sender: is required/],
    [
      'a multiplier below 1',
      { sender: { retryBehaviour: { backOffMultiplier: 0.5 }, routes: [route()] } },
      /sender\.retryBehaviour\.backOffMultiplier: must be at least 1/,
    ],
    ['no routes', { sender: { routes: [] } }, /sender\.routes: at least one route/],
  ])('%s', (_what, root, message) => {
    const raw = { sender: { routes: [route()] }, ...root };
    if ('sender' in root && root.sender === undefined) delete (raw as Record<string, unknown>).sender;
    expectConfigError(() => parseSftAgentConfig(raw, { origin: 'inline' }), message);
  });

  it('lists every problem, not only the first', () => {
    const error = expectConfigError(
      parse([route({ source: '/../x' }), route({ name: 'r2', filenameRegex: '(' })]),
    );
    expect(error.issues.map((issue) => [issue.route?.name, issue.field])).toEqual([['r1', 'source']]);
    // Schema problems are reported together; compile problems after the schema passes.
    const second = expectConfigError(
      parse([route({ name: 'a', filenameRegex: '(' }), route({ name: 'b', filenameRegex: '[' })]),
    );
    expect(second.issues.map((issue) => issue.route?.name)).toEqual(['a', 'b']);
  });
});

describe('paths under the SFT root', () => {
  it.each([
    ['/data-egress/sas/', '/root/data-egress/sas'],
    ['/testData/x', '/root/testData/x'],
    ['data-egress/RIS', '/root/data-egress/RIS'],
    ['/a//b/./c/', '/root/a/b/c'],
    ['/a/../b', '/root/b'],
  ])('%s joins to %s', (configured, expected) => {
    expect(resolveUnderRoot('/root', configured)).toBe(expected);
  });

  it.each([['/../etc'], ['..'], ['/a/../../b'], ['a\0b']])('refuses %j', (configured) => {
    expect(() => resolveUnderRoot('/root', configured)).toThrow(/leaves the SFT root|NUL/);
  });
});
