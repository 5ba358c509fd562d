import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AwsServiceError } from '../../src/edge/aws-error.ts';
import { logServerErrors, noteServerError } from '../../src/edge/http-util.ts';
import { pathStyleUrl, virtualHostBucket } from '../../src/edge/s3-addressing.ts';
import {
  bucketNameProblem,
  locationConstraintError,
  parseCreateBucketConfiguration,
  renderBucketLocation,
} from '../../src/edge/s3-bucket-rules.ts';
import { parseS3Request } from '../../src/edge/s3-request.ts';
import { AwsChunkedDecoder } from '../../src/edge/s3-storage/aws-chunked.ts';
import { PayloadChecksums } from '../../src/edge/s3-storage/payload-checksums.ts';
import { planUploadBody } from '../../src/edge/s3-storage/upload-body.ts';
import { unsupportedSubresource } from '../../src/edge/s3-subresources.ts';
import { credentialScope } from '../../src/edge/sigv4.ts';
import { waitFor } from '../../src/util/wait.ts';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof AwsServiceError) return error.code;
    throw error;
  }
}

/** Decodes `framed` fed in pieces of `split` bytes; the payload, or the S3 error code. */
function decode(framed: string, split: number): string {
  const decoder = new AwsChunkedDecoder();
  const out: Buffer[] = [];
  const input = Buffer.from(framed, 'latin1');
  try {
    for (let offset = 0; offset < input.length; offset += split) {
      out.push(...decoder.push(input.subarray(offset, offset + split)));
    }
    decoder.end();
  } catch (error) {
    if (error instanceof AwsServiceError) return `!${error.code}`;
    throw error;
  }
  return Buffer.concat(out).toString('latin1');
}

describe('aws-chunked decoding', () => {
  const sig = `;chunk-signature=${'a'.repeat(64)}`;
  it.each([
    ['one signed chunk', `5${sig}\r\nhello\r\n0${sig}\r\n\r\n`, 'hello'],
    ['two chunks', `3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n`, 'abcde'],
    ['upper-case hex', `A\r\n0123456789\r\n0\r\n\r\n`, '0123456789'],
    ['data containing CRLF', `4\r\n\r\n\r\n\r\n0\r\n\r\n`, '\r\n\r\n'],
    ['an empty payload', `0${sig}\r\n\r\n`, ''],
    ['trailers', `2\r\nhi\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`, 'hi'],
    ['a body ending after the final chunk without the closing CRLF', `2\r\nhi\r\n0\r\n`, 'hi'],
    ['a size that is not hex', `zz\r\nhello\r\n0\r\n\r\n`, '!InvalidRequest'],
    ['an empty size line', `\r\nhello\r\n0\r\n\r\n`, '!InvalidRequest'],
    ['a chunk longer than its size', `2\r\nhello\r\n0\r\n\r\n`, '!InvalidRequest'],
    ['a size line ending in LF only', `2\nhi\r\n0\r\n\r\n`, '!InvalidRequest'],
    ['no final chunk', `2\r\nhi\r\n`, '!IncompleteBody'],
    ['a truncated chunk', `5\r\nhel`, '!IncompleteBody'],
    ['a truncated trailer', `2\r\nhi\r\n0\r\nx-amz-checksum-crc32:AA`, '!IncompleteBody'],
    ['a trailer without a colon', `2\r\nhi\r\n0\r\nnonsense\r\n\r\n`, '!InvalidRequest'],
    ['data after the closing CRLF', `2\r\nhi\r\n0\r\n\r\nmore\r\n`, '!InvalidRequest'],
  ])('%s', (_name, framed, expected) => {
    for (const split of [1, 2, 3, 7, framed.length])
      expect(decode(framed, split), `split ${split}`).toBe(expected);
  });

  it('collects trailer values by lower-case name', () => {
    const decoder = new AwsChunkedDecoder();
    decoder.push(Buffer.from('1\r\nx\r\n0\r\nX-Amz-Checksum-SHA256: abc=\r\n\r\n'));
    decoder.end();
    expect([...decoder.trailers]).toEqual([['x-amz-checksum-sha256', 'abc=']]);
    expect(decoder.decodedLength).toBe(1);
  });

  it('refuses an endless size line', () => {
    expect(decode('1'.repeat(10_000), 100)).toBe('!InvalidRequest');
  });

  // The cases of the storage layer's former decoder (issue 17), now served by this one: several
  // chunks whose data holds CRLF and the word aws-chunked, split at every boundary.
  const frame = (parts: string[], tail: string, signature = '') =>
    parts.map((part) => `${Buffer.byteLength(part).toString(16)}${signature}\r\n${part}\r\n`).join('') + tail;
  const parts = ['hello ', 'aws-chunked\r\nworld', 'x'.repeat(300)];
  it.each([
    ['unsigned, no trailer', frame(parts, '0\r\n\r\n'), parts.join('')],
    [
      'unsigned with a checksum trailer',
      frame(parts, '0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'),
      parts.join(''),
    ],
    [
      'signed chunks',
      frame(parts, `0;chunk-signature=${'0'.repeat(64)}\r\n\r\n`, `;chunk-signature=${'a'.repeat(64)}`),
      parts.join(''),
    ],
    ['no blank line after the last chunk', frame(parts, '0\r\n'), parts.join('')],
    ['a body ending inside a chunk', 'a\r\n01234', '!IncompleteBody'],
    ['a body ending before the final chunk', frame(['abc'], ''), '!IncompleteBody'],
    ['a long size line cut off by the end of the body', '1'.repeat(5000), '!IncompleteBody'],
    ['data longer than its size', '3\r\nabcdef\r\n0\r\n\r\n', '!InvalidRequest'],
    ['a size that is not hex', 'zz\r\nabc\r\n0\r\n\r\n', '!InvalidRequest'],
    ['a line without CR', '3\nabc\r\n0\r\n\r\n', '!InvalidRequest'],
  ])('%s, split at every boundary', (_name, framed, expected) => {
    for (const split of [1, 2, 3, 7, 64, framed.length])
      expect(decode(framed, split), `split ${split}`).toBe(expected);
  });
});

describe('payload checksums', () => {
  const payload = Buffer.from('id,name\n1,Ada\n');
  const b64 = (algorithm: string) => createHash(algorithm).update(payload).digest('base64');
  const crc = () => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(payload));
    return out.toString('base64');
  };
  const verdict = (headers: Record<string, string>, trailers: Record<string, string> = {}, data = payload) =>
    codeOf(() => {
      const checks = new PayloadChecksums(headers);
      checks.update(data);
      checks.verify(new Map(Object.entries(trailers)));
    }) ?? 'ok';

  it.each([
    ['no checksum at all', {}, {}, 'ok'],
    ['a matching Content-MD5', { 'content-md5': b64('md5') }, {}, 'ok'],
    [
      'a wrong Content-MD5',
      { 'content-md5': createHash('md5').update('x').digest('base64') },
      {},
      'BadDigest',
    ],
    ['a Content-MD5 that is not 16 bytes', { 'content-md5': 'AAAA' }, {}, 'InvalidDigest'],
    ['a matching CRC32 header', { 'x-amz-checksum-crc32': crc() }, {}, 'ok'],
    ['a wrong CRC32 header', { 'x-amz-checksum-crc32': 'AAAAAA==' }, {}, 'BadDigest'],
    ['a CRC32 header of the wrong size', { 'x-amz-checksum-crc32': b64('sha1') }, {}, 'InvalidRequest'],
    ['a matching SHA256 header', { 'x-amz-checksum-sha256': b64('sha256') }, {}, 'ok'],
    [
      'a wrong SHA1 header',
      { 'x-amz-checksum-sha1': createHash('sha1').update('x').digest('base64') },
      {},
      'BadDigest',
    ],
    ['a well-formed CRC32C header (not computable here)', { 'x-amz-checksum-crc32c': 'AAAAAA==' }, {}, 'ok'],
    ['a malformed CRC64NVME header', { 'x-amz-checksum-crc64nvme': 'AAAAAA==' }, {}, 'InvalidRequest'],
    [
      'a matching hex x-amz-content-sha256',
      { 'x-amz-content-sha256': createHash('sha256').update(payload).digest('hex') },
      {},
      'ok',
    ],
    [
      'a wrong hex x-amz-content-sha256',
      { 'x-amz-content-sha256': 'a'.repeat(64) },
      {},
      'XAmzContentSHA256Mismatch',
    ],
    ['UNSIGNED-PAYLOAD', { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, {}, 'ok'],
    [
      'an unknown x-amz-content-sha256 keyword',
      { 'x-amz-content-sha256': 'WHATEVER' },
      {},
      'InvalidArgument',
    ],
    [
      'a matching CRC32 trailer',
      { 'x-amz-trailer': 'x-amz-checksum-crc32' },
      { 'x-amz-checksum-crc32': crc() },
      'ok',
    ],
    [
      'a wrong CRC32 trailer',
      { 'x-amz-trailer': 'x-amz-checksum-crc32' },
      { 'x-amz-checksum-crc32': 'AAAAAA==' },
      'BadDigest',
    ],
    [
      'a malformed trailer',
      { 'x-amz-trailer': 'x-amz-checksum-crc32' },
      { 'x-amz-checksum-crc32': '!!' },
      'InvalidRequest',
    ],
  ])('%s → %s', (_name, headers, trailers, expected) => {
    expect(verdict(headers, trailers)).toBe(expected);
  });

  it('checks an empty payload too', () => {
    expect(verdict({ 'x-amz-checksum-crc32': 'AAAAAA==' }, {}, Buffer.alloc(0))).toBe('ok');
    expect(
      verdict({ 'content-md5': createHash('md5').update('').digest('base64') }, {}, Buffer.alloc(0)),
    ).toBe('ok');
  });
});

describe('upload body plans', () => {
  it.each([
    [{}, { awsChunked: false, contentType: 'binary/octet-stream' }],
    [{ 'content-type': 'text/csv' }, { awsChunked: false, contentType: 'text/csv' }],
    [{ 'content-encoding': 'aws-chunked' }, { awsChunked: true }],
    [{ 'content-encoding': 'aws-chunked, gzip' }, { awsChunked: true, contentEncoding: 'gzip' }],
    [{ 'content-encoding': 'gzip,aws-chunked' }, { awsChunked: true, contentEncoding: 'gzip' }],
    [{ 'content-encoding': 'gzip' }, { awsChunked: false, contentEncoding: 'gzip' }],
    [{ 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' }, { awsChunked: true }],
    [{ 'x-amz-decoded-content-length': '42' }, { awsChunked: true, decodedLength: 42 }],
    [{ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, { awsChunked: false }],
  ])('%j', (headers, expected) => {
    expect(planUploadBody(headers)).toMatchObject(expected);
  });

  it('refuses a decoded length that is not a number', () => {
    expect(codeOf(() => planUploadBody({ 'x-amz-decoded-content-length': '12abc' }))).toBe('InvalidArgument');
  });
});

describe('S3 addressing', () => {
  it.each([
    ['127.0.0.1:4566', undefined],
    ['localhost:4566', undefined],
    ['localhost', undefined],
    ['[::1]:4566', undefined],
    ['edge:4566', undefined],
    ['host.docker.internal:4566', undefined],
    ['localhost.localstack.cloud:4566', undefined],
    ['s3.localhost.localstack.cloud:4566', undefined],
    ['s3.localhost:4566', undefined],
    ['s3.eu-west-2.localhost:4566', undefined],
    ['sqs.eu-west-2.localhost:4566', undefined],
    ['source.localhost:4566', 'source'],
    ['my.dotted.bucket.localhost:4566', 'my.dotted.bucket'],
    ['source.s3.localhost:4566', 'source'],
    ['source.s3.localhost.localstack.cloud:4566', 'source'],
    ['source.s3.eu-west-2.amazonaws.com', 'source'],
    ['source.s3-eu-west-2.amazonaws.com', 'source'],
    ['a.s3.b.s3.localhost', 'a.s3.b'],
    ['Source.LOCALHOST:4566', 'source'],
    [undefined, undefined],
  ])('Host %s → bucket %s', (host, bucket) => {
    expect(virtualHostBucket(host)).toBe(bucket);
  });

  it('turns a virtual-hosted URL into a path-style one', () => {
    expect(pathStyleUrl('b', '/k/x.csv?versionId=1')).toBe('/b/k/x.csv?versionId=1');
    expect(pathStyleUrl('b', '/?location')).toBe('/b/?location');
    expect(parseS3Request(pathStyleUrl('b', '/?location'))).toMatchObject({ bucket: 'b', key: undefined });
  });
});

describe('bucket creation rules', () => {
  it.each([
    ['source', undefined],
    ['stub-hdfs-local', undefined],
    ['a.b-c.1', undefined],
    ['ab', 'between 3 and 63'],
    ['a'.repeat(64), 'between 3 and 63'],
    ['Upper', 'lowercase letters'],
    ['under_score', 'lowercase letters'],
    ['-leading', 'begin and end'],
    ['trailing.', 'begin and end'],
    ['two..dots', 'two adjacent periods'],
    ['192.168.5.4', 'IP address'],
    ['xn--punycode', 'prefix xn--'],
    ['sthree-bucket', 'prefix sthree-'],
    ['amzn-s3-demo-bucket', 'prefix amzn-s3-demo-'],
    ['name-s3alias', 'suffix -s3alias'],
    ['name--ol-s3', 'suffix --ol-s3'],
    ['name.mrap', 'suffix .mrap'],
    ['name--x-s3', 'suffix --x-s3'],
    ['name--table-s3', 'suffix --table-s3'],
  ])('bucket name %s', (name, problem) => {
    const found = bucketNameProblem(name);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it.each([
    // [constraint, endpoint region, error code, message fragment]
    [undefined, 'eu-west-2', 'IllegalLocationConstraintException', 'The unspecified location constraint'],
    ['', 'eu-west-2', 'IllegalLocationConstraintException', 'The unspecified location constraint'],
    ['eu-west-2', 'eu-west-2', undefined, undefined],
    ['eu-west-1', 'eu-west-2', 'IllegalLocationConstraintException', 'The eu-west-1 location constraint'],
    ['EU', 'eu-west-1', undefined, undefined],
    ['EU', 'eu-west-2', 'IllegalLocationConstraintException', 'The EU location constraint'],
    ['nowhere', 'eu-west-2', 'InvalidLocationConstraint', 'not valid'],
    [undefined, 'us-east-1', undefined, undefined],
    ['us-east-1', 'us-east-1', 'InvalidLocationConstraint', 'not valid'],
    ['eu-west-2', 'us-east-1', 'IllegalLocationConstraintException', 'The eu-west-2 location constraint'],
  ])('constraint %s at an endpoint in %s → %s', (constraint, region, code, message) => {
    const error = locationConstraintError(constraint, region);
    expect(error?.code).toBe(code);
    if (message) expect(error?.message).toContain(message);
    if (error) expect(error.statusCode).toBe(400);
  });

  it.each([
    ['', undefined],
    [
      '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-2</LocationConstraint></CreateBucketConfiguration>',
      'eu-west-2',
    ],
    ['<CreateBucketConfiguration/>', undefined],
  ])('CreateBucketConfiguration %s', (xml, constraint) => {
    expect(parseCreateBucketConfiguration(xml).locationConstraint).toBe(constraint);
  });

  it.each(['<CreateBucketConfiguration>', '<Other/>', 'not xml'])('malformed configuration %s', (xml) => {
    expect(codeOf(() => parseCreateBucketConfiguration(xml))).toBe('MalformedXML');
  });

  it('renders GetBucketLocation as S3 does (empty for us-east-1)', () => {
    expect(renderBucketLocation('eu-west-2')).toContain('>eu-west-2</LocationConstraint>');
    expect(renderBucketLocation('')).toContain(
      '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>',
    );
  });
});

describe('sub-resources the embedded S3 does not implement', () => {
  it.each([
    ['/b?versioning', 'versioning'],
    ['/b?policy', 'policy'],
    ['/b?uploads', 'uploads'],
    ['/b/k?tagging', 'tagging'],
    ['/b/k?acl', 'acl'],
    ['/b?location', undefined],
    ['/b?notification', undefined],
    ['/b?delete', undefined],
    ['/b?list-type=2&prefix=x', undefined],
    ['/b/k?uploads', undefined],
    ['/b/k?partNumber=1&uploadId=u', undefined],
    ['/b/k?x-id=GetObject', undefined],
  ])('%s → %s', (url, name) => {
    expect(unsupportedSubresource(parseS3Request(url)!)).toBe(name);
  });
});

describe('SigV4 credential scope', () => {
  it.each([
    [
      'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=0',
      undefined,
      'eu-west-1',
    ],
    [
      undefined,
      new URLSearchParams({ 'X-Amz-Credential': 'test/20260101/us-east-1/s3/aws4_request' }),
      'us-east-1',
    ],
    ['AWS test:signature', undefined, undefined],
    [undefined, undefined, undefined],
  ])('%s', (authorization, query, region) => {
    expect(credentialScope(authorization, query)?.region).toBe(region);
  });
});

describe('5xx logging', () => {
  it('logs every 5xx with the request line and its cause, and nothing for other statuses', async () => {
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = {
      error: (fields: object, message: string) =>
        lines.push({ fields: fields as Record<string, unknown>, message }),
    };
    const server = http.createServer((req, res) => {
      logServerErrors(req, res, logger);
      if (req.url === '/fail') noteServerError(res, new Error('disk on fire'));
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '10' });
        res.write('part');
        noteServerError(res, new Error('stream broke'));
        res.destroy();
        return;
      }
      res.statusCode = req.url === '/fail' ? 500 : req.url === '/unavailable' ? 503 : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const path of ['/fail', '/unavailable', '/missing', '/cut']) {
        // The cut response makes fetch itself fail; only the server's log matters here.
        await fetch(`http://127.0.0.1:${port}${path}`, { method: 'PUT', body: 'x' })
          .then((response) => response.text())
          .catch(() => undefined);
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await waitFor(() => lines.length === 3, { description: 'three log lines' });
    expect(lines.map((l) => l.message)).toEqual([
      'edge answered 500 to PUT /fail',
      'edge answered 503 to PUT /unavailable',
      'edge cut the response to PUT /cut after a failure',
    ]);
    expect(lines[0]!.fields).toMatchObject({
      method: 'PUT',
      url: '/fail',
      status: 500,
      host: `127.0.0.1:${port}`,
    });
    expect((lines[0]!.fields.err as Error).message).toBe('disk on fire');
    expect(lines[1]!.fields.err).toBeUndefined();
  });
});
