// Cucumber profiles. Run through `npm test` (or `npm run test:bdd`); tsx loads the TypeScript steps.
// Target selection is one variable, EGRESS_TARGET = embedded (default) | localstack | external.
const common = {
  import: ['steps/**/*.ts'],
  paths: ['features/**/*.feature'],
  format: [
    'progress',
    ['html', 'reports/cucumber-report.html'],
    ['junit', 'reports/cucumber-junit.xml'],
    ['message', 'reports/cucumber-messages.ndjson'],
  ],
  formatOptions: { junit: { suiteName: 'egress-sandbox' } },
  strict: true,
  forceExit: true,
};

export default common;

/** Only the scenarios tagged @localstack (they need a container runtime). */
export const localstack = { ...common, tags: '@localstack' };

/** Everything that does not need the embedded edge's internals, for an already running stack. */
export const external = { ...common, tags: 'not @embedded-only' };
