import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCertificates, loadCertificates, serialNumber } from '../../src/tls/certificates.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'certs-'));
  dirs.push(dir);
  return dir;
}

function request(port: number, host: string, options: https.RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host, port, path: '/', method: 'GET', ...options }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sandbox certificates', () => {
  it('serves mutual TLS on 127.0.0.1 and localhost, and refuses a client without a certificate', async () => {
    const material = await loadCertificates(await ensureCertificates(await tempDir()));
    const server = https.createServer(
      {
        ca: material.ca,
        cert: material.serverCert,
        key: material.serverKey,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_req, res) => res.end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const client = { ca: material.ca, cert: material.clientCert, key: material.clientKey };
      expect(await request(port, '127.0.0.1', client)).toBe(200);
      expect(await request(port, 'localhost', { ...client, servername: 'localhost' })).toBe(200);
      await expect(request(port, '127.0.0.1', { ca: material.ca })).rejects.toThrow();
    } finally {
      server.close();
    }
  });

  it('reuses a valid set instead of regenerating it', async () => {
    const dir = await tempDir();
    const first = await loadCertificates(await ensureCertificates(dir));
    const second = await loadCertificates(await ensureCertificates(dir));
    expect(second.ca).toBe(first.ca);
  });

  it('regenerates when a requested DNS name is missing', async () => {
    const dir = await tempDir();
    const first = await loadCertificates(await ensureCertificates(dir));
    const second = await loadCertificates(await ensureCertificates(dir, { extraDnsNames: ['stub-nifi'] }));
    expect(second.ca).not.toBe(first.ca);
  });
});

describe('serial numbers', () => {
  it('are 16 bytes whose first byte is 0x40–0x7F: positive, minimal DER, never a stripped 0x00', () => {
    for (let i = 0; i < 2_000; i++) {
      const serial = serialNumber();
      expect(serial).toMatch(/^[4-7][0-9a-f]{31}$/);
    }
  });
});
