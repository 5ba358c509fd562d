/**
 * docker-compose.yml and the Dockerfile cannot run here (no container engine), so they are checked
 * without one: a focused JSON schema (ajv) for the subset of the compose specification the file
 * uses, then the meaning — pinned images, health checks, depends_on, volumes, and commands that the
 * `egress` CLI really accepts. Where `docker-compose` (v1.29, `apt-get install docker-compose`) is
 * installed, its own validation runs too; elsewhere that part is skipped with the reason printed.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadEnvironmentFile } from '../../src/aws/provisioning/index.ts';
import { registerCertsCommand } from '../../src/cli/commands/certs.ts';
import { registerDescribeStackCommand } from '../../src/cli/commands/describe-stack.ts';
import { registerProvisionCommand } from '../../src/cli/commands/provision.ts';
import { registerServiceCommand } from '../../src/cli/commands/service.ts';
import { registerSftAgentCommand } from '../../src/cli/commands/sft-agent.ts';
import { registerStubDksCommand } from '../../src/cli/commands/stub-dks.ts';
import { registerStubNifiCommand } from '../../src/cli/commands/stub-nifi.ts';
import { SETTINGS } from '../../src/egress/config/service-config.ts';
import { LOCALSTACK_IMAGE } from '../../steps/support/targets/localstack.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const EGRESS_IMAGE = 'egress-sandbox:local';
/** The `test` stage of the same Dockerfile (features, steps, dev dependencies), for the `bdd` service. */
const TEST_IMAGE = 'egress-sandbox:test';

interface Service {
  image: string;
  build?: { context: string; dockerfile: string; target?: string };
  profiles?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  restart?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** The subset of the compose specification this project uses, in the long forms it uses them. */
const composeSchema = {
  type: 'object',
  required: ['services'],
  additionalProperties: false,
  patternProperties: { '^x-': {} },
  properties: {
    services: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[a-z][a-z0-9-]*$' },
      additionalProperties: {
        type: 'object',
        required: ['image'],
        additionalProperties: false,
        properties: {
          image: { type: 'string', pattern: '^[a-z0-9./_-]+:[A-Za-z0-9._-]+$' },
          build: {
            type: 'object',
            required: ['context', 'dockerfile'],
            additionalProperties: false,
            properties: {
              context: { type: 'string' },
              dockerfile: { type: 'string' },
              target: { type: 'string', pattern: '^[a-z]+$' },
            },
          },
          profiles: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' } },
          command: { type: 'array', minItems: 1, items: { type: 'string' } },
          environment: {
            type: 'object',
            additionalProperties: { type: 'string' },
          },
          volumes: { type: 'array', items: { type: 'string', pattern: '^[a-z][a-z0-9_-]*:/[^:]+(:ro)?$' } },
          ports: {
            type: 'array',
            items: { type: 'string', pattern: '^(\\d+\\.\\d+\\.\\d+\\.\\d+:)?\\d+:\\d+$' },
          },
          depends_on: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['condition'],
              additionalProperties: false,
              properties: {
                condition: {
                  enum: ['service_started', 'service_healthy', 'service_completed_successfully'],
                },
              },
            },
          },
          healthcheck: {
            type: 'object',
            required: ['test'],
            additionalProperties: false,
            properties: {
              test: {
                type: 'array',
                minItems: 2,
                items: { type: 'string' },
                prefixItems: [{ enum: ['CMD'] }],
              },
              interval: { type: 'string', pattern: '^\\d+s$' },
              timeout: { type: 'string', pattern: '^\\d+s$' },
              retries: { type: 'integer', minimum: 1 },
              start_period: { type: 'string', pattern: '^\\d+s$' },
            },
          },
          restart: { enum: ['no', 'always', 'on-failure', 'unless-stopped'] },
          stop_grace_period: { type: 'string', pattern: '^\\d+s$' },
        },
      },
    },
    volumes: {
      type: 'object',
      additionalProperties: { type: 'null' },
    },
  },
} as const;

function loadCompose(): ComposeFile {
  // Merge keys (`<<: *aws`) are YAML 1.1; compose resolves them, and so does `yaml` when asked.
  return parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
}

/** A program with the commands docker-compose runs, to check their arguments without running them. */
function egressProgram(): Command {
  const program = new Command('egress').exitOverride();
  registerProvisionCommand(program);
  registerCertsCommand(program);
  registerStubDksCommand(program);
  registerStubNifiCommand(program);
  registerServiceCommand(program);
  registerSftAgentCommand(program);
  registerDescribeStackCommand(program);
  return program;
}

const compose = loadCompose();
const services = Object.entries(compose.services);
const oneShot = (service: Service) => service.restart === 'no';

describe('docker-compose.yml', () => {
  it('matches the schema of the compose subset it uses', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(composeSchema);
    const valid = validate(compose);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('pins LocalStack to the tag the LocalStack target uses', () => {
    expect(compose.services.localstack?.image).toBe(LOCALSTACK_IMAGE);
    expect(compose.services.localstack?.healthcheck?.test.join(' ')).toContain('/_localstack/health');
  });

  it('pins every image (no latest) and builds the egress image from the Dockerfile', () => {
    for (const [name, service] of services) {
      expect(service.image, name).not.toMatch(/:latest$/);
      if (service.image === EGRESS_IMAGE) {
        expect(service.build, name).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      } else if (service.image === TEST_IMAGE) {
        expect(service.build, name).toEqual({ context: '.', dockerfile: 'Dockerfile', target: 'test' });
      } else {
        expect(service.build, name).toBeUndefined();
      }
    }
  });

  it('gives every long-running service a health check, and one-shot services none', () => {
    for (const [name, service] of services) {
      if (oneShot(service)) expect(service.healthcheck, name).toBeUndefined();
      else expect(service.healthcheck, `${name} has a health check`).toBeDefined();
    }
  });

  it('depends only on services that exist, with conditions they can meet', () => {
    for (const [name, service] of services) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        const dependency = compose.services[target];
        expect(dependency, `${name} depends on ${target}`).toBeDefined();
        if (condition === 'service_healthy')
          expect(dependency!.healthcheck, `${target} health`).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect(oneShot(dependency!), `${target} exits`).toBe(true);
      }
    }
  });

  it('has no dependency cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, trail: string[]): void => {
      if (done.has(name)) return;
      expect(visiting.has(name), `cycle: ${[...trail, name].join(' → ')}`).toBe(false);
      visiting.add(name);
      for (const next of Object.keys(compose.services[name]?.depends_on ?? {})) visit(next, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const [name] of services) visit(name, []);
  });

  it('declares every named volume it mounts, and mounts every volume it declares', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const used = new Set(services.flatMap(([, s]) => (s.volumes ?? []).map((v) => v.split(':')[0]!)));
    expect([...used].sort()).toEqual([...declared].sort());
    // The SFT directory is shared by the writer (egress) and the reader (sft-agent).
    expect(compose.services.egress?.volumes).toContain('sft:/data/sft-root');
    expect(compose.services['sft-agent']?.volumes).toContain('sft:/data/sft-root');
  });

  it('runs real egress subcommands with options they accept', () => {
    const program = egressProgram();
    for (const [name, service] of services) {
      if (service.image !== EGRESS_IMAGE) continue;
      const [commandName, ...args] = service.command ?? [];
      const command = program.commands.find((c) => c.name() === commandName);
      expect(command, `${name}: egress ${commandName}`).toBeDefined();
      const { unknown, operands } = command!.parseOptions(args);
      expect(unknown, `${name}: unknown options`).toEqual([]);
      expect(operands, `${name}: stray arguments`).toEqual([]);
    }
  });

  it('runs only commands that bin/egress.js knows (src/cli/main.ts)', () => {
    const main = readFileSync(path.join(ROOT, 'src/cli/main.ts'), 'utf8');
    for (const [name, service] of services) {
      if (service.image !== EGRESS_IMAGE) continue;
      const command = service.command![0]!;
      const register = `register${command.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}Command`;
      expect(main, `${name}: ${register}`).toContain(register);
    }
  });

  it('configures the egress service only with variables it reads', () => {
    const known = new Set([
      ...SETTINGS.flatMap((setting) => setting.env),
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
      'LOG_LEVEL',
      'LOG_FILE', // src/logging/logger.ts
    ]);
    const environment = compose.services.egress?.environment ?? {};
    for (const variable of Object.keys(environment)) expect(known.has(variable), variable).toBe(true);
    expect(environment.EGRESS_QUEUE_URL).toBeDefined();
  });

  it('names the queues and the table that init provisions', async () => {
    const init = compose.services.init!.command!;
    const envFile = init[init.indexOf('--env') + 1]!;
    const { environment } = await loadEnvironmentFile(path.join(ROOT, envFile));
    const queue = environment.queues[0]!;
    const egress = compose.services.egress!.environment!;
    expect(egress.EGRESS_QUEUE_URL).toMatch(new RegExp(`/000000000000/${queue.name}$`));
    expect(egress.EGRESS_DEAD_LETTER_QUEUE_URL).toMatch(
      new RegExp(`/000000000000/${queue.deadLetter!.name}$`),
    );
    expect(environment.tables.map((t) => t.name)).toContain(egress.EGRESS_TABLE);
  });

  it('loads the routing rules in init, after the environment', () => {
    const init = compose.services.init!.command!;
    const files = init.flatMap((arg, i) => (init[i - 1] === '--env' ? [arg] : []));
    expect(files).toEqual(['config/sandbox/environment.yml', 'config/sandbox/rules.yml']);
    for (const file of files) expect(existsSync(path.join(ROOT, file)), file).toBe(true);
  });

  describe('the state file for the external BDD target', () => {
    const describe_ = compose.services['stack-file']!;
    const bdd = compose.services.bdd!;
    const flag = (name: string) => describe_.command![describe_.command!.indexOf(name) + 1]!;
    const mountPoints = (service: Service) => (service.volumes ?? []).map((v) => v.split(':')[1]!);
    const mounted = (service: Service, file: string) =>
      mountPoints(service).some((point) => file === point || file.startsWith(`${point}/`));

    it('is written once the services it describes are up', () => {
      expect(describe_.depends_on).toMatchObject({
        egress: { condition: 'service_healthy' },
        'sft-agent': { condition: 'service_healthy' },
      });
      expect(bdd.depends_on).toEqual({ 'stack-file': { condition: 'service_completed_successfully' } });
    });

    it('names URLs by compose service and listening port, so every container reaches them', () => {
      const urls = ['--endpoint', '--dks-url', '--nifi-url', '--metrics-url'].map(flag);
      for (const url of urls) {
        const { hostname, port } = new URL(url);
        const service = compose.services[hostname];
        expect(service, `${url}: a compose service`).toBeDefined();
        const listens = [
          ...(service!.ports ?? []).map((p) => p.split(':').at(-1)),
          ...(service!.command ?? []),
        ];
        expect(listens, `${url}: ${hostname} listens on ${port}`).toContain(port);
      }
    });

    it('names paths that the services writing them and the bdd service both mount', () => {
      expect(mounted(describe_, flag('--state-dir'))).toBe(true);
      expect(bdd.environment?.EGRESS_SANDBOX_JSON).toBe(`${flag('--state-dir')}/sandbox.json`);
      expect(bdd.environment?.EGRESS_TARGET).toBe('external');
      for (const name of ['--tls-dir', '--sft-root', '--logs', '--state-dir']) {
        expect(mounted(bdd, flag(name)), `bdd mounts ${flag(name)}`).toBe(true);
      }
      expect(flag('--sft-root')).toBe(compose.services.egress!.environment!.EGRESS_SFT_ROOT);
      expect(flag('--logs')).toBe(compose.services.egress!.environment!.LOG_FILE);
      expect(mounted(compose.services.egress!, flag('--logs'))).toBe(true);
    });

    it('runs the bdd service from the Dockerfile stage that holds the features and steps', () => {
      const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
      const stage = dockerfile.slice(dockerfile.indexOf('AS test'), dockerfile.indexOf('AS runtime'));
      for (const copied of ['features', 'steps', 'cucumber.mjs']) expect(stage).toContain(copied);
      expect(bdd.profiles).toEqual(['bdd']);
      expect(bdd.command).toEqual(['test:bdd']);
      // The runtime image stays the default (last) stage.
      const froms = [...dockerfile.matchAll(/^FROM .* AS ([a-z]+)$/gm)].map((m) => m[1]);
      expect(froms.at(-1)).toBe('runtime');
    });
  });

  it('issues the server certificate for every HTTPS host name the services call', () => {
    const certs = compose.services.certs!.command!;
    const names = certs.flatMap((arg, i) => (certs[i - 1] === '--dns' ? [arg] : []));
    const urls = services.flatMap(([, s]) => [...Object.values(s.environment ?? {}), ...(s.command ?? [])]);
    const hosts = urls.filter((u) => u.startsWith('https://')).map((u) => new URL(u).hostname);
    expect(hosts.length).toBeGreaterThan(0);
    for (const host of hosts) expect(names, `certificate for ${host}`).toContain(host);
  });

  const dockerCompose = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'docker-compose'))
    .find((candidate) => existsSync(candidate));
  if (!dockerCompose) {
    console.log(
      'docker-compose.yml: `docker-compose config` skipped: docker-compose is not installed (apt-get install docker-compose gives v1.29, which validates without an engine)',
    );
  }
  it.skipIf(!dockerCompose)('passes `docker-compose config -q` (v1.29, no engine needed)', async () => {
    const { stderr } = await promisify(execFile)(dockerCompose!, ['-f', COMPOSE_FILE, 'config', '-q'], {
      cwd: ROOT,
      env: { ...process.env, LOCALSTACK_AUTH_TOKEN: '' },
    });
    expect(stderr).toBe('');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n');

  it('builds in stages from a pinned node:20 slim image', () => {
    const from = instructions.filter((line) => line.startsWith('FROM '));
    expect(from.length).toBeGreaterThanOrEqual(2);
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(instructions.join('\n'))?.[1];
    expect(base).toMatch(/^node:20(\.\d+){2}-slim$/);
    for (const line of from) expect(line).toMatch(/^FROM \$\{NODE_IMAGE\} AS [a-z]+$/);
  });

  it('installs exactly the locked production dependencies', () => {
    expect(instructions.some((line) => /^RUN npm ci\b.*--omit=dev/.test(line))).toBe(true);
  });

  it('copies only directories that exist, and runs bin/egress.js as an unprivileged user', () => {
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(path.join(ROOT, source)), source).toBe(true);
    }
    expect(instructions).toContain('USER node');
    expect(instructions).toContain('ENTRYPOINT ["node", "bin/egress.js"]');
  });

  it('keeps node_modules and local state out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', '.sandbox', 'reports', '.git']) expect(ignored).toContain(entry);
  });
});
