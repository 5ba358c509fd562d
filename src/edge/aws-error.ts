/** An error the edge returns in an AWS protocol's own shape. */
export class AwsServiceError extends Error {
  override readonly name: string = 'AwsServiceError';
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** JSON-protocol error body (`__type` + `message`), as SSM and other JSON services return. */
export function jsonErrorBody(error: AwsServiceError): string {
  return JSON.stringify({ __type: error.code, message: error.message });
}

export function escapeXml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** REST-XML error body, as S3 returns it. */
export function s3ErrorBody(code: string, message: string, resource?: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    (resource ? `<Resource>${escapeXml(resource)}</Resource>` : '') +
    '<RequestId>EDGE</RequestId></Error>'
  );
}

/** Query-protocol error body, as STS returns it. */
export function queryErrorBody(error: AwsServiceError): string {
  const type = error.statusCode >= 500 ? 'Receiver' : 'Sender';
  return (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
    `<Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    '<RequestId>EDGE</RequestId></ErrorResponse>'
  );
}

/** How each service the edge fronts shapes its errors. */
export type AwsProtocol = 'rest-xml' | 'json-1.0' | 'json-1.1' | 'query';

/** An error answer in `protocol`'s own shape: content type and body. */
export function errorAnswer(
  protocol: AwsProtocol,
  error: AwsServiceError,
  resource?: string,
): { contentType: string; body: string } {
  switch (protocol) {
    case 'rest-xml':
      return { contentType: 'application/xml', body: s3ErrorBody(error.code, error.message, resource) };
    case 'json-1.0':
      return { contentType: 'application/x-amz-json-1.0', body: jsonErrorBody(error) };
    case 'json-1.1':
      return { contentType: 'application/x-amz-json-1.1', body: jsonErrorBody(error) };
    case 'query':
      return { contentType: 'text/xml', body: queryErrorBody(error) };
  }
}
