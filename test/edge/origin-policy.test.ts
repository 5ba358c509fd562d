import { describe, expect, it } from 'vitest';
import {
  hostnameOf,
  isLoopbackHostname,
  OriginPolicy,
  OriginPolicyError,
  parseList,
} from '../../src/edge/origin-policy.ts';

/*
 * Issue 12, item 6: the pure policy behind the edge's and the dashboard's cross-site and
 * DNS-rebinding checks.
 */

describe('hostnameOf', () => {
  it.each([
    ['127.0.0.1:4566', '127.0.0.1'],
    ['LOCALHOST:4566', 'localhost'],
    ['localhost.', 'localhost'],
    ['[::1]:4566', '::1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['sqs.eu-west-2.localhost:4566', 'sqs.eu-west-2.localhost'],
    ['edge', 'edge'],
    [' evil.example:80 ', 'evil.example'],
  ])('%s → %s', (host, name) => {
    expect(hostnameOf(host)).toBe(name);
  });
});

describe('isLoopbackHostname', () => {
  it.each([
    ['localhost', true],
    ['sqs.eu-west-2.localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost.evil.example', false],
    ['evil-localhost', false],
    ['128.0.0.1', false],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['::2', false],
    ['edge', false],
    ['', false],
  ])('%s → %s', (name, expected) => {
    expect(isLoopbackHostname(name)).toBe(expected);
  });
});

describe('OriginPolicy.check', () => {
  const policy = new OriginPolicy();
  it.each([
    [{}, true],
    [{ host: '127.0.0.1:4566' }, true],
    [{ host: 'localhost:4566' }, true],
    [{ host: '[::1]:4566' }, true],
    [{ host: 'sqs.eu-west-2.localhost:4566' }, true],
    [{ host: '127.0.0.1:4566', origin: 'http://127.0.0.1:4570' }, true],
    [{ host: '127.0.0.1:4566', origin: 'https://localhost' }, true],
    [{ host: '127.0.0.1:4566', origin: 'http://[::1]:3000' }, true],
    [{ host: '127.0.0.1:4566', origin: 'http://app.localhost:3000' }, true],
    [{ host: 'evil.example:4566' }, false],
    [{ host: 'localhost.evil.example:4566' }, false],
    [{ host: '192.168.1.20:4566' }, false],
    [{ host: '127.0.0.1:4566', origin: 'http://evil.example' }, false],
    [{ host: '127.0.0.1:4566', origin: 'null' }, false],
    [{ host: '127.0.0.1:4566', origin: 'file://' }, false],
    [{ host: '127.0.0.1:4566', origin: 'http://127.0.0.1.evil.example' }, false],
    [{ host: 'evil.example:4566', origin: 'http://evil.example:4566' }, false],
  ])('%j → allowed %s', (headers, allowed) => {
    const verdict = policy.check(headers);
    expect(verdict.allowed).toBe(allowed);
    if (!verdict.allowed) expect(verdict.reason).toMatch(/EGRESS_ALLOWED_(HOSTS|ORIGINS)/);
  });

  it('accepts allowed hosts (any port, subdomain wildcards) and same-origin pages on them', () => {
    const configured = OriginPolicy.fromEnvironment({
      EGRESS_ALLOWED_HOSTS: 'edge, 10.0.0.5 ,*.svc.cluster.local,[fd00::5]',
    });
    expect(configured.check({ host: 'edge:4566' }).allowed).toBe(true);
    expect(configured.check({ host: 'EDGE' }).allowed).toBe(true);
    expect(configured.check({ host: '10.0.0.5:4570' }).allowed).toBe(true);
    expect(configured.check({ host: 'edge.ns.svc.cluster.local:4566' }).allowed).toBe(true);
    expect(configured.check({ host: '[fd00::5]:4566' }).allowed).toBe(true);
    expect(configured.check({ host: 'svc.cluster.local.evil.example' }).allowed).toBe(false);
    expect(configured.check({ host: 'edgex:4566' }).allowed).toBe(false);
    expect(configured.check({ host: 'edge:4570', origin: 'http://edge:4570' }).allowed).toBe(true);
    expect(configured.check({ host: 'edge:4570', origin: 'http://edge:9999' }).allowed).toBe(false);
  });

  it('accepts allowed origins exactly', () => {
    const configured = OriginPolicy.fromEnvironment({
      EGRESS_ALLOWED_ORIGINS: 'https://tools.example.org,http://10.0.0.5:8080',
    });
    expect(configured.check({ host: '127.0.0.1', origin: 'https://tools.example.org' }).allowed).toBe(true);
    expect(configured.check({ host: '127.0.0.1', origin: 'http://10.0.0.5:8080' }).allowed).toBe(true);
    expect(configured.check({ host: '127.0.0.1', origin: 'http://tools.example.org' }).allowed).toBe(false);
    expect(configured.check({ host: '127.0.0.1', origin: 'http://10.0.0.5:8081' }).allowed).toBe(false);
  });

  it('"*" switches a check off', () => {
    const open = OriginPolicy.fromEnvironment({ EGRESS_ALLOWED_HOSTS: '*', EGRESS_ALLOWED_ORIGINS: '*' });
    expect(open.check({ host: 'evil.example', origin: 'null' }).allowed).toBe(true);
  });

  it.each([
    [{ EGRESS_ALLOWED_HOSTS: 'a b' }, /EGRESS_ALLOWED_HOSTS: "a b" is not a host name/],
    [{ EGRESS_ALLOWED_HOSTS: 'http://edge' }, /EGRESS_ALLOWED_HOSTS: "http:\/\/edge"/],
    [{ EGRESS_ALLOWED_HOSTS: 'ed*ge' }, /EGRESS_ALLOWED_HOSTS/],
    [{ EGRESS_ALLOWED_ORIGINS: 'edge' }, /EGRESS_ALLOWED_ORIGINS: "edge" is not an origin/],
    [{ EGRESS_ALLOWED_ORIGINS: 'http://edge/path' }, /EGRESS_ALLOWED_ORIGINS/],
    [{ EGRESS_ALLOWED_ORIGINS: 'ftp://edge' }, /EGRESS_ALLOWED_ORIGINS/],
  ])('refuses %j at construction, naming the variable', (env, message) => {
    expect(() => OriginPolicy.fromEnvironment(env)).toThrow(OriginPolicyError);
    expect(() => OriginPolicy.fromEnvironment(env)).toThrow(message);
  });

  it('parseList drops blanks and spaces', () => {
    expect(parseList(' a, ,b ,')).toEqual(['a', 'b']);
    expect(parseList(undefined)).toEqual([]);
  });
});
