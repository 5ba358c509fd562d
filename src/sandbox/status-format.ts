import { type HealthReport, unhealthy } from '../edge/health.ts';
import { textTable } from '../rule-tools/format.ts';
import { describeHolder, type LockHolder } from './lock-holder.ts';

/** What `egress status` prints: who runs where, then one row per component with its port. */
export function formatStatus(stateDir: string, holder: LockHolder | undefined, report: HealthReport): string {
  const rows = Object.entries(report.services).map(([name, state]) => {
    const detail = report.details[name];
    return [name, state, detail?.url ?? '', detail?.detail ?? ''];
  });
  const bad = unhealthy(report);
  const total = rows.length;
  return [
    `${holder ? describeHolder(holder) : 'a sandbox described by hand (no lock)'} in ${stateDir}`,
    `${report.edition} ${report.version}`,
    '',
    textTable(['component', 'state', 'where', 'detail'], rows),
    '',
    bad.length === 0
      ? `all ${total} components running`
      : `${bad.length} of ${total} not running: ${bad.join(', ')}`,
  ].join('\n');
}
