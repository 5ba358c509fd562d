/**
 * The JUnit formatter that keeps attachments (scripts/test/junit-formatter.ts) and its text part,
 * fed a message stream the real cucumber wrote (test/scripts/fixtures) and read back with an XML
 * parser we did not write.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { type AttachmentLike, attachmentText, withAttachments } from '../../scripts/test/attachment-text.ts';
import { createPrinter } from '../../scripts/test/junit-formatter.ts';

const text = (body: string, fileName?: string): AttachmentLike => ({
  body,
  contentEncoding: 'IDENTITY',
  mediaType: 'text/plain',
  ...(fileName ? { fileName } : {}),
});

describe('an attachment as text', () => {
  it.each<[string, AttachmentLike, string]>([
    [
      'named text',
      text('line 1\nline 2\n', 'sandbox-trace.txt'),
      '--- sandbox-trace.txt ---\nline 1\nline 2',
    ],
    ['unnamed text', text('hello'), '--- text/plain ---\nhello'],
    [
      'Base64 text',
      {
        body: Buffer.from('{"a":1}').toString('base64'),
        contentEncoding: 'BASE64',
        mediaType: 'application/json',
      },
      '--- application/json ---\n{"a":1}',
    ],
    [
      'cucumber log',
      { body: 'seen', contentEncoding: 'IDENTITY', mediaType: 'text/x.cucumber.log+plain' },
      '--- text/x.cucumber.log+plain ---\nseen',
    ],
    [
      'an image',
      {
        body: Buffer.alloc(10).toString('base64'),
        contentEncoding: 'BASE64',
        mediaType: 'image/png',
        fileName: 'shot.png',
      },
      '--- shot.png (image/png, 10 bytes): not text, see the HTML report ---',
    ],
    ['two CDATA terminators', text('a ]]> b ]]> c'), '--- text/plain ---\na ]] > b ]] > c'],
  ])('%s', (_, attachment, expected) => {
    expect(attachmentText(attachment)).toBe(expected);
  });

  it('keeps the end of a long attachment and says how much it left out', () => {
    expect(attachmentText(text('0123456789'), 4)).toBe(
      '--- text/plain ---\n… 6 earlier characters left out (the HTML report has them all)\n6789',
    );
  });

  it('puts the attachments after the step lines, or leaves the step lines alone', () => {
    expect(withAttachments('Given a.....passed', [text('x', 'a.txt'), text('y', 'b.txt')])).toBe(
      'Given a.....passed\n\n--- a.txt ---\nx\n\n--- b.txt ---\ny',
    );
    expect(withAttachments('Given a.....passed', [])).toBe('Given a.....passed');
  });
});

/** The fixture's envelopes, with text attached to the last step of each scenario. */
function messagesWithAttachments(attach: (scenario: number) => string): object[] {
  const envelopes = readFileSync(path.resolve(import.meta.dirname, 'fixtures/cucumber/fail.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, { testCaseStartedId?: string; testStepId?: string }>);
  const out: object[] = [];
  let scenario = 0;
  let lastStep: { testCaseStartedId?: string; testStepId?: string } | undefined;
  for (const envelope of envelopes) {
    if (envelope.testStepFinished) lastStep = envelope.testStepFinished;
    if (envelope.testCaseFinished && lastStep) {
      out.push({
        attachment: {
          body: attach(scenario++),
          contentEncoding: 'IDENTITY',
          mediaType: 'text/plain',
          fileName: 'sandbox-trace.txt',
          testCaseStartedId: lastStep.testCaseStartedId,
          testStepId: lastStep.testStepId,
        },
      });
    }
    out.push(envelope);
  }
  return out;
}

function render(envelopes: object[]): string {
  let xml = '';
  const printer = createPrinter({ suiteName: 'probe' }, (content) => {
    xml += content;
  });
  for (const envelope of envelopes) printer.update(envelope as Parameters<typeof printer.update>[0]);
  return xml;
}

describe('the JUnit report with attachments', () => {
  it("puts each scenario's attachments into its own <system-out>, after the step lines", () => {
    const xml = render(messagesWithAttachments((n) => `trace of scenario ${n}\nS3 event ObjectCreated:Put`));
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuite;
    expect(suite).toMatchObject({ name: 'probe', tests: '2', failures: '1' });
    const [passing, failing] = suite.testcase;
    expect(passing.name).toBe('One file');
    expect(passing['system-out']).toBe(
      `Given a file${'.'.repeat(64)}passed\n\n--- sandbox-trace.txt ---\ntrace of scenario 0\nS3 event ObjectCreated:Put`,
    );
    expect(failing.name).toBe('A missing file');
    expect(failing.failure.message).toBe('expected 1 file, found 0');
    expect(failing['system-out']).toMatch(
      /^Given a file\.+passed\nThen it fails\.+failed\n\n--- sandbox-trace\.txt ---\ntrace of scenario 1\n/,
    );
  });

  it('stays well-formed XML whatever the attachment holds', () => {
    const hostile = 'a ]]> b ]]> c <testcase/> & \u0000\u001b[31m';
    const xml = render(messagesWithAttachments(() => hostile));
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = new XMLParser().parse(xml).testsuite;
    expect(suite.testcase[0]['system-out']).toContain('a ]] > b ]] > c <testcase/> &');
  });

  it('leaves the report as cucumber writes it when nothing is attached', async () => {
    const { JUnitXmlPrinter } = await import('@cucumber/junit-xml-formatter');
    const envelopes = readFileSync(path.resolve(import.meta.dirname, 'fixtures/cucumber/fail.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    let builtIn = '';
    const printer = new JUnitXmlPrinter({ suiteName: 'probe' }, (content) => {
      builtIn += content;
    });
    for (const envelope of envelopes) printer.update(envelope);
    expect(render(envelopes)).toBe(builtIn);
  });
});
