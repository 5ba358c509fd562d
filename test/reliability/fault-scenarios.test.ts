import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAccountingTable } from '../../scripts/chaos/accounting.ts';
import { SCENARIOS, scenarioContext } from '../../scripts/chaos/scenarios.ts';
import { type ChaosEnvironment, startChaosEnvironment } from '../../scripts/chaos/world.ts';

/*
 * The quick fault scenarios of `npm run chaos` (scripts/chaos/scenarios.ts, `quick: true`), each in
 * its own world on one shared edge, judged by the accounting against one clean run: every output
 * delivered byte-identical, or explained (DLQ with a reason, SFT error folder with a sidecar) —
 * zero lost, zero unexplained, nothing written outside sftRoot. The slow ones (edge restart,
 * SIGKILLed worker) run only in `npm run chaos`.
 */

let environment: ChaosEnvironment;
let context: ReturnType<typeof scenarioContext>;
beforeAll(async () => {
  environment = await startChaosEnvironment();
  // The small workload (~90 KiB): the same names and rules, a fraction of the bytes.
  context = scenarioContext(environment, 'small');
  await context.reference('small');
}, 60_000);
afterAll(async () => {
  await environment?.close();
});

const quick = SCENARIOS.filter((scenario) => scenario.quick);

describe.concurrent('fault scenarios: nothing lost, nothing unexplained', () => {
  it('the clean run is a true reference: every output holds its source bytes (gzip inflated), the control file lists them', async () => {
    const clean = context.cleanOutcomes.get('small');
    expect(clean, 'the clean run ran').toBeDefined();
    expect(clean!.problems, formatAccountingTable([clean!.report])).toEqual([]);
    expect(clean!.report.totals.delivered).toBe(clean!.report.outputs.length);
  });

  it.each(quick.map((scenario) => [scenario.name, scenario] as const))(
    '%s',
    async (_name, scenario) => {
      const outcome = await scenario.run(context);
      const table = `${formatAccountingTable([outcome.report])}\n${outcome.evidence.join('\n')}`;
      expect(outcome.report.escapes, table).toEqual([]);
      expect(outcome.report.lost, table).toBe(0);
      expect(outcome.report.unexplained, table).toBe(0);
      expect(outcome.problems, table).toEqual([]);
    },
    90_000,
  );
});
