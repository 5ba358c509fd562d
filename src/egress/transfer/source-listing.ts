import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** One listed source object. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

/**
 * Every object under `prefix`, page by page (ListObjectsV2 with continuation tokens). The original
 * read only the first page, silently dropping everything after 1,000 keys (behaviour §10.1). No
 * delimiter: sub-"folders" are included, as in the original.
 */
export async function* listSourceObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal: AbortSignal,
): AsyncGenerator<ListedObject[]> {
  let continuationToken: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken }),
      { abortSignal: signal },
    );
    yield (page.Contents ?? [])
      .filter((object) => object.Key !== undefined)
      .map((object) => ({ key: object.Key!, size: object.Size ?? 0 }));
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
}
