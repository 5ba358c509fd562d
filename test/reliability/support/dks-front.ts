import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CertificateMaterial } from '../../../src/tls/certificates.ts';

/**
 * Key ids the front answers itself, with a broken Data Key Service's answers. Every other request
 * is forwarded unchanged to the real stub DKS (over mTLS), so ordinary HTME objects still work.
 */
export const GARBAGE_KEY_IDS = {
  /** 200 with an HTML page. */
  notJson: 'corpus:not-json',
  /** 200 with JSON lacking `plaintextDataKey`. */
  noKey: 'corpus:no-key',
  /** 200 with a 20-byte key (AES wants 16, 24 or 32). */
  shortKey: 'corpus:short-key',
  /** 200 with a `plaintextDataKey` that is not Base64. */
  notBase64: 'corpus:not-base64',
  /** 200 with a 1 MiB body. */
  huge: 'corpus:huge',
  /** Never answers (the client's timeout must fire). */
  hang: 'corpus:hang',
} as const;

/** A plain-HTTP DKS in front of the stub: garbage for {@link GARBAGE_KEY_IDS}, the stub otherwise. */
export interface DksFront {
  readonly url: string;
  /** Base64 of every key the front itself handed out (must never appear in a log). */
  readonly servedKeys: string[];
  stop(): Promise<void>;
}

export async function startDksFront(stubUrl: string, tls: CertificateMaterial): Promise<DksFront> {
  const stub = new URL(stubUrl);
  const agent = new https.Agent({ ca: tls.ca, cert: tls.clientCert, key: tls.clientKey, keepAlive: true });
  const servedKeys: string[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const keyId = url.searchParams.get('keyId') ?? '';
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const key = (bytes: number) => {
      const text = randomBytes(bytes).toString('base64');
      servedKeys.push(text);
      return text;
    };
    switch (keyId) {
      case GARBAGE_KEY_IDS.notJson:
        req.resume();
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>502 Bad Gateway (but with status 200)</body></html>');
        return;
      case GARBAGE_KEY_IDS.noKey:
        req.resume();
        return json({ dataKeyEncryptionKeyId: keyId });
      case GARBAGE_KEY_IDS.shortKey:
        req.resume();
        return json({ dataKeyEncryptionKeyId: keyId, plaintextDataKey: key(20) });
      case GARBAGE_KEY_IDS.notBase64:
        req.resume();
        return json({ dataKeyEncryptionKeyId: keyId, plaintextDataKey: '*** not base64 ***' });
      case GARBAGE_KEY_IDS.huge:
        req.resume();
        return json({
          dataKeyEncryptionKeyId: keyId,
          plaintextDataKey: key(32),
          padding: 'x'.repeat(1 << 20),
        });
      case GARBAGE_KEY_IDS.hang:
        req.resume();
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
    }
    const upstream = https.request(
      {
        host: stub.hostname,
        port: stub.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: stub.host },
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    servedKeys,
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
