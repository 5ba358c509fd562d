/**
 * 7. Rule lookup with 10,000 rules in the table: per-message time with the rule cache off
 * (EGRESS_RULE_CACHE_TTL_MS=0, the default: one paged Scan + validation per message) and on, against
 * the same messages with only the 50 rules they use in the table. Messages are processed one at a
 * time (EGRESS_MESSAGES_IN_FLIGHT=1) so that per-message time is overhead, not overlap; each
 * flag's rule copies one 1 KiB object. Floor: one raw paged Scan of the 10,000-item table.
 */
import { performance } from 'node:perf_hooks';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { startTestKit, uniqueName } from '../src/testing/index.ts';
import { type Benchmark, round } from './lib.ts';
import { mapLimit } from './support/concurrency.ts';
import { contentBuffer, s3Rule, scaled } from './support/content.ts';
import { describeCpu, measured } from './support/measure.ts';
import { startEdgeProcess, startServiceProcess } from './support/processes.ts';

const CACHE_TTL_MS = 60_000;
/** Rules the original deployment has (config/sandbox/rules.yml). */
const DEPLOYED_RULES = 97;

export const ruleLookupBenchmark: Benchmark = {
  name: 'rule-lookup',
  description:
    "Rule lookup: per-message time with 10,000 rules in the table, rule cache off (EGRESS_RULE_CACHE_TTL_MS=0, default) and on (60 s), vs the same 50 messages with only their 50 rules in the table and with 97 (the deployed table's size); one message at a time, each copying one 1 KiB object. Floor: one raw paged Scan of 10,000 items.",
  async run() {
    const messages = scaled(50, 10);
    const totalRules = scaled(10_000, 500);
    const edge = await startEdgeProcess();
    const kit = await startTestKit({ target: edge.target });
    const source = uniqueName('rules-src');
    try {
      await kit.createBuckets(source);
      const prefixes = Array.from({ length: messages }, (_, i) => `lookup/m-${String(i).padStart(3, '0')}/`);
      await mapLimit(prefixes, 8, (prefix, i) =>
        kit.putObject(source, `${prefix}data.csv`, contentBuffer(1024, i)),
      );
      const activeRules = (destination: string) =>
        prefixes.map((prefix, i) => s3Rule(prefix, source, destination, `m-${String(i).padStart(3, '0')}/`));
      const fillers = Array.from({ length: totalRules - messages }, (_, i) =>
        s3Rule(
          `filler/$TODAYS_DATE/f-${String(i).padStart(5, '0')}/`,
          source,
          'nowhere',
          `out/$TODAYS_DATE/f-${i}/`,
          {
            recipient_name: `recipient-${i % 37}`,
            decrypt: i % 2 === 0,
            rewrap_datakey: false,
            encrypting_key_ssm_parm_name: '',
            timestamp_files: i % 3 === 0,
          },
        ),
      );

      const deployed = Math.max(DEPLOYED_RULES, messages);
      const cases = [
        { name: 'small', rules: messages, ttl: 0 },
        { name: 'deployed', rules: deployed, ttl: 0 },
        { name: 'off', rules: totalRules, ttl: 0 },
        { name: 'on', rules: totalRules, ttl: CACHE_TTL_MS },
      ] as const;
      const results: Record<string, { msPerMessage: number; cpu: Record<string, number> }> = {};
      let bigTable = '';
      for (const c of cases) {
        const destination = uniqueName(`rules-dst-${c.name}`);
        await kit.createBuckets(destination);
        let table: string;
        if (c.rules < totalRules) {
          table = uniqueName(`rules-${c.name}`);
          await kit.createTable(table);
          await kit.putRules({ table: table }, [
            ...activeRules(destination),
            ...fillers.slice(0, c.rules - messages),
          ]);
        } else {
          table = uniqueName(`rules-big-${c.name}`);
          await kit.createTable(table);
          console.error(`  writing ${c.rules} rules…`);
          await kit.putRules({ table: table }, [...activeRules(destination), ...fillers]);
          bigTable = table;
        }
        const queueUrl = await kit.createQueue(uniqueName(`rules-queue-${c.name}`));
        await edge.watch(destination);
        const service = await startServiceProcess(edge.endpoint, {
          EGRESS_QUEUE_URL: queueUrl,
          EGRESS_TABLE: table,
          EGRESS_MESSAGES_IN_FLIGHT: '1',
          EGRESS_RULE_CACHE_TTL_MS: String(c.ttl),
        });
        try {
          console.error(`  ${c.rules} rules, cache ${c.ttl ? 'on' : 'off'}…`);
          const run = await measured({ service: service.pid, edge: edge.pid }, async () => {
            const done = edge.writes.waitForDistinct(destination, '', messages, 900_000);
            await kit.sendFlags(
              { queueUrl: queueUrl },
              source,
              prefixes.map((prefix) => `${prefix}pipeline_success.flag`),
            );
            return done;
          });
          results[c.name] = { msPerMessage: run.ms / messages, cpu: run.cpu };
        } finally {
          await service.stop();
        }
      }
      // Floor: the scan alone, as the raw SDK does it.
      const scans: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        let items = 0;
        for await (const page of paginateScan({ client: kit.clients.documents }, { TableName: bigTable })) {
          items += page.Items?.length ?? 0;
        }
        if (items !== totalRules) throw new Error(`scan returned ${items} of ${totalRules} items`);
        scans.push(performance.now() - started);
      }
      const scanMs = Math.min(...scans);
      const small = results.small!.msPerMessage;
      const deployedMs = results.deployed!.msPerMessage;
      const off = results.off!.msPerMessage;
      const on = results.on!.msPerMessage;
      return {
        benchmark: 'rule-lookup',
        description: this.description,
        figures: [
          {
            name: `${totalRules} rules, cache off: time per message`,
            value: round(off, 1),
            unit: 'ms',
            floor: {
              name: `${messages} rules in the table`,
              value: round(small, 1),
              ratio: round(off / small),
            },
          },
          {
            name: `${totalRules} rules, cache on (${CACHE_TTL_MS / 1000} s): time per message`,
            value: round(on, 1),
            unit: 'ms',
            floor: {
              name: `${messages} rules in the table`,
              value: round(small, 1),
              ratio: round(on / small),
            },
          },
          {
            name: `${deployed} rules (the deployed table's size), cache off: time per message`,
            value: round(deployedMs, 1),
            unit: 'ms',
            floor: {
              name: `${messages} rules in the table`,
              value: round(small, 1),
              ratio: round(deployedMs / small),
            },
          },
          { name: 'lookup overhead per message, cache off', value: round(off - small, 1), unit: 'ms' },
          { name: 'lookup overhead per message, cache on', value: round(on - small, 1), unit: 'ms' },
          { name: `raw paged Scan of ${totalRules} items (best of 3)`, value: round(scanMs, 1), unit: 'ms' },
        ],
        notes: [
          `CPU (% of one core): ${Object.entries(results)
            .map(([name, r]) => `${name}: ${describeCpu(r.cpu)}`)
            .join('; ')}.`,
          'Filler rules carry $TODAYS_DATE placeholders like the deployed ones, so matching expands them for every rule and every flag.',
        ],
      };
    } finally {
      await kit.stop();
      await edge.stop();
    }
  },
};
