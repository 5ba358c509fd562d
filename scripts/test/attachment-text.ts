/**
 * A scenario's attachments as plain text for the JUnit report's `<system-out>`, so a CI page shows
 * what the sandbox did (its trace and logs), not only which step failed. Pure: no I/O.
 */

/** The fields of a cucumber `attachment` message this needs. */
export interface AttachmentLike {
  body: string;
  /** `IDENTITY` (text as is) or `BASE64`. */
  contentEncoding: string;
  mediaType: string;
  fileName?: string;
}

/** The longest text kept per attachment; logs keep their end, where a failure usually is. */
export const MAX_ATTACHMENT_CHARACTERS = 200_000;

const isText = (mediaType: string) =>
  mediaType.startsWith('text/') || mediaType === 'application/json' || mediaType.endsWith('+json');

/**
 * The JUnit formatter writes `<system-out>` as CDATA and escapes only the first `]]>` in it; a
 * second one would end the section early and break the XML. A space keeps the text readable.
 */
const safeForCdata = (text: string) => text.replaceAll(']]>', ']] >');

function textOf(attachment: AttachmentLike): string | undefined {
  if (!isText(attachment.mediaType)) return undefined;
  return attachment.contentEncoding === 'BASE64'
    ? Buffer.from(attachment.body, 'base64').toString('utf8')
    : attachment.body;
}

/** One attachment: a header naming it, then its text (or why it is not shown). */
export function attachmentText(attachment: AttachmentLike, limit = MAX_ATTACHMENT_CHARACTERS): string {
  const name = attachment.fileName ?? attachment.mediaType;
  const text = textOf(attachment);
  if (text === undefined) {
    const bytes =
      attachment.contentEncoding === 'BASE64'
        ? Buffer.from(attachment.body, 'base64').length
        : Buffer.byteLength(attachment.body);
    return `--- ${name} (${attachment.mediaType}, ${bytes} bytes): not text, see the HTML report ---`;
  }
  const kept =
    text.length > limit
      ? `… ${text.length - limit} earlier characters left out (the HTML report has them all)\n${text.slice(-limit)}`
      : text;
  return `--- ${name} ---\n${safeForCdata(kept.replace(/\n+$/, ''))}`;
}

/** A test case's `<system-out>`: the formatter's step lines, then each attachment in order. */
export function withAttachments(stepLines: string, attachments: readonly AttachmentLike[]): string {
  if (attachments.length === 0) return stepLines;
  return [stepLines, ...attachments.map((attachment) => attachmentText(attachment))]
    .filter(Boolean)
    .join('\n\n');
}
