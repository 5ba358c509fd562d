import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AwsServiceError, escapeXml } from './aws-error.ts';

/**
 * S3's rules for general purpose bucket names
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). Returns the rule
 * a name breaks, or undefined for a valid name.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'bucket names must be between 3 and 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) {
    return 'bucket names can consist only of lowercase letters, numbers, periods (.) and hyphens (-)';
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return 'bucket names must begin and end with a letter or number';
  }
  if (name.includes('..')) return 'bucket names must not contain two adjacent periods';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'bucket names must not be formatted as an IP address';
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) {
    if (name.startsWith(prefix)) return `bucket names must not start with the prefix ${prefix}`;
  }
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) {
    if (name.endsWith(suffix)) return `bucket names must not end with the suffix ${suffix}`;
  }
  return undefined;
}

/** CreateBucket's answer to a name that breaks a naming rule. */
export function invalidBucketName(name: string): AwsServiceError | undefined {
  const problem = bucketNameProblem(name);
  return problem
    ? new AwsServiceError('InvalidBucketName', `The specified bucket is not valid: ${problem} ("${name}").`)
    : undefined;
}

/** A region name as S3 location constraints spell them (`eu-west-2`, `us-gov-west-1`), or the legacy `EU`. */
function isRegionName(value: string): boolean {
  return value === 'EU' || /^[a-z]{2}(-[a-z]+)+-\d+$/.test(value);
}

/**
 * What S3 answers a CreateBucket whose location constraint does not suit the regional endpoint
 * it was sent to (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): outside `us-east-1` the
 * constraint must name the endpoint's region; in `us-east-1` it must be left out. Undefined
 * when the request is acceptable.
 */
export function locationConstraintError(
  constraint: string | undefined,
  endpointRegion: string,
): AwsServiceError | undefined {
  const given = constraint?.trim() || undefined;
  const incompatible = (what: string) =>
    new AwsServiceError(
      'IllegalLocationConstraintException',
      `The ${what} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    );
  const invalid = () =>
    new AwsServiceError('InvalidLocationConstraint', 'The specified location-constraint is not valid');
  if (given === undefined) return endpointRegion === 'us-east-1' ? undefined : incompatible('unspecified');
  if (!isRegionName(given) || given === 'us-east-1') return invalid();
  const region = given === 'EU' ? 'eu-west-1' : given;
  return region === endpointRegion ? undefined : incompatible(given);
}

const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false });

/** The `LocationConstraint` of a CreateBucket body (empty bodies have none). */
export function parseCreateBucketConfiguration(xml: string): { locationConstraint?: string | undefined } {
  if (xml.trim() === '') return {};
  const malformed = () =>
    new AwsServiceError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  if (XMLValidator.validate(xml) !== true) throw malformed();
  const document = parser.parse(xml) as Record<string, unknown>;
  const root = document.CreateBucketConfiguration;
  if (root === undefined) throw malformed();
  if (root === '' || root === null) return {};
  if (typeof root !== 'object') throw malformed();
  const constraint = (root as Record<string, unknown>).LocationConstraint;
  if (constraint !== undefined && typeof constraint !== 'string') throw malformed();
  return { locationConstraint: constraint };
}

/** The body of GetBucketLocation: empty for `us-east-1`, as S3 answers. */
export function renderBucketLocation(constraint: string): string {
  const namespace = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    (constraint === '' || constraint === 'us-east-1'
      ? `<LocationConstraint ${namespace}/>`
      : `<LocationConstraint ${namespace}>${escapeXml(constraint)}</LocationConstraint>`)
  );
}
