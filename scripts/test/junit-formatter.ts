/**
 * Cucumber's JUnit formatter, with each scenario's attachments (the sandbox trace and logs the
 * hooks attach) in its `<system-out>` after the step lines. cucumber-js 12.9's built-in `junit`
 * (@cucumber/junit-xml-formatter 0.13.3) writes only the step lines and drops attachments, so a CI
 * page would show "failed" and nothing of what happened. Used by cucumber.mjs in place of `junit`,
 * with the same options (`formatOptions.junit`).
 *
 * It reuses the built-in printer and only extends the text of each test case. The printer keeps
 * its query and test-case list private, so this relies on their shape in the pinned 0.13.3 (checked
 * at start, with a message naming what changed); test/bdd/junit-attachments.test.ts runs a failing
 * scenario and reads the XML.
 */
import { JUnitXmlPrinter } from '@cucumber/junit-xml-formatter';
import { type AttachmentLike, withAttachments } from './attachment-text.ts';

/** What the printer keeps private and this extends: see the module comment. */
interface PrinterInternals {
  query: {
    findAllTestCaseStartedOrderBy<T>(
      findOrderBy: (query: unknown, testCaseStarted: unknown) => T | undefined,
      order: (a: T, b: T) => number,
    ): unknown[];
    findPickleBy(testCaseStarted: unknown): unknown;
    findTestStepFinishedAndTestStepBy(testCaseStarted: unknown): [unknown, unknown][];
    findAttachmentsBy(testStepFinished: unknown): AttachmentLike[] | undefined;
  };
  makeTestCases(): { output: string }[];
  pickleComparator(a: unknown, b: unknown): number;
}

type PrinterOptions = ConstructorParameters<typeof JUnitXmlPrinter>[0];

/** A printer whose test cases' output carries their attachments. */
export function createPrinter(options: PrinterOptions, write: (xml: string) => void): JUnitXmlPrinter {
  const printer = new JUnitXmlPrinter(options, write);
  const internals = printer as unknown as PrinterInternals;
  if (
    typeof internals.makeTestCases !== 'function' ||
    typeof internals.pickleComparator !== 'function' ||
    typeof internals.query?.findAttachmentsBy !== 'function'
  ) {
    throw new Error(
      'scripts/test/junit-formatter.ts: @cucumber/junit-xml-formatter no longer has the private makeTestCases, pickleComparator and query this formatter extends (written for 0.13.3); update the formatter with cucumber',
    );
  }
  const makeTestCases = internals.makeTestCases.bind(printer);
  internals.makeTestCases = () => {
    const { query } = internals;
    // The same query and order the printer uses, so the i-th test case is the i-th attempt here.
    const started = query.findAllTestCaseStartedOrderBy(
      (q, testCaseStarted) => (q as PrinterInternals['query']).findPickleBy(testCaseStarted),
      internals.pickleComparator,
    );
    return makeTestCases().map((testCase, index) => {
      const attachments = query
        .findTestStepFinishedAndTestStepBy(started[index])
        .flatMap(([testStepFinished]) => query.findAttachmentsBy(testStepFinished) ?? []);
      return { ...testCase, output: withAttachments(testCase.output, attachments) };
    });
  };
  return printer;
}

/** The formatter plugin, in the shape cucumber-js 12 loads from a path in `format`. */
export default {
  type: 'formatter' as const,
  optionsKey: 'junit',
  formatter({
    on,
    options,
    write,
  }: {
    on: (key: 'message', handler: (envelope: Parameters<JUnitXmlPrinter['update']>[0]) => void) => void;
    options: PrinterOptions;
    write: (content: string) => void;
  }) {
    const printer = createPrinter(options ?? {}, write);
    on('message', (envelope) => printer.update(envelope));
  },
};
