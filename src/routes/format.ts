import type { Explanation, PlannedDestination, PlannedFile, RuleMatch } from './explain.ts';
import type { RuleRow } from './list.ts';
import type { SftDelivery } from './sft-delivery.ts';
import type { ValidationReport } from './validate.ts';

/*
 * Human text for the `egress routes` commands (the CLI prints these; `--json` prints the
 * structures instead). Pure: the same input always gives the same text, so tests pin it exactly.
 */

const q = (text: string): string => JSON.stringify(text);

/** A plain text table: columns padded to their widest cell, two spaces apart. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function formatRuleTable(rows: readonly RuleRow[]): string {
  const table = textTable(
    ['pipeline', 'recipient', 'type', 'source', 'destination', 'flags'],
    rows.map((row) => [
      row.pipeline,
      row.recipient,
      row.type,
      row.source,
      row.destination,
      row.flags.join(','),
    ]),
  );
  const s3 = rows.filter((row) => row.valid && row.type === 'S3').length;
  const sft = rows.filter((row) => row.valid && row.type === 'SFT').length;
  const invalid = rows.filter((row) => !row.valid).length;
  return `${table}\n\n${rows.length} rules: ${s3} S3, ${sft} SFT, ${invalid} invalid${invalid ? ' (egress routes validate says why)' : ''}`;
}

export function formatValidation(report: ValidationReport): string {
  const lines: string[] = [];
  for (const finding of report.invalid) {
    lines.push(`✗ ${finding.rule} (${finding.label}) is invalid and takes no action:`);
    for (const problem of finding.problems) lines.push(`    ${problem.field}: ${problem.message}`);
  }
  for (const finding of report.warnings) {
    lines.push(`! ${finding.rule} (${finding.label}):`);
    for (const problem of finding.problems) lines.push(`    ${problem.field}: ${problem.message}`);
  }
  lines.push(
    `${report.total} items: ${report.valid} valid, ${report.invalid.length} invalid, ${report.warnings.length} with warnings`,
  );
  return lines.join('\n');
}

function deliveryLines(delivery: SftDelivery, indent: string): string[] {
  const lines: string[] = [];
  if (delivery.outcome === 'unwatched') {
    lines.push(`${indent}no SFT agent route watches ${delivery.directory}: the file would stay there`);
    return lines;
  }
  if (delivery.outcome === 'loop') {
    lines.push(`${indent}${delivery.directory} was already visited: the routes form a loop`);
    return lines;
  }
  if (delivery.outcome === 'unmatched') {
    lines.push(
      `${indent}no route on ${delivery.directory} matches ${q(delivery.fileName)} (${delivery.candidates
        .map((route) => `${route.name}: ${route.filenameRegex}`)
        .join('; ')}): it stays there, reported as unmatched`,
    );
    return lines;
  }
  const route = delivery.route!;
  const passed = delivery.candidates.filter((candidate) => candidate.index < route.index);
  lines.push(
    `${indent}route #${route.index} ${q(route.name)} on ${delivery.directory} takes ${q(delivery.fileName)} (filenameRegex ${route.filenameRegex}${passed.length ? `; first match — ${passed.map((p) => `#${p.index}`).join(', ')} did not match` : ''})`,
  );
  for (const step of delivery.steps) {
    if (step.action === 'writeFile') {
      lines.push(`${indent}  writeFile → ${step.destination}/${delivery.fileName}`);
      lines.push(...deliveryLines(step.next, `${indent}    `));
    } else if (step.action === 'renameFile') {
      lines.push(
        'to' in step
          ? `${indent}  renameFile ${q(step.from)} → ${q(step.to)}`
          : `${indent}  renameFile ${q(step.from)} fails: ${step.error}`,
      );
    } else {
      lines.push(`${indent}  httpRequest POST ${step.url} (filename ${q(step.sentName)})`);
      lines.push(
        'key' in step.stubNifi
          ? `${indent}    stub NiFi stores s3://${step.stubNifi.bucket}/${step.stubNifi.key}`
          : `${indent}    stub NiFi refuses it: ${step.stubNifi.refused}`,
      );
    }
  }
  lines.push(
    `${indent}  on failure (after retries) → ${route.errorFolder}${route.deleteOnSend ? '; deleted from the directory once sent' : ''}`,
  );
  return lines;
}

function destinationLines(destination: PlannedDestination, indent: string): string[] {
  if (destination.transferType === 'S3') return [];
  return destination.delivery ? deliveryLines(destination.delivery, indent) : [];
}

function describeDestination(destination: PlannedDestination): string {
  return destination.transferType === 'S3' ? destination.url : destination.path;
}

function fileLines(title: string, file: PlannedFile | undefined, indent: string): string[] {
  if (!file) return [];
  if (file.error || !file.destination)
    return [`${indent}${title} ${q(file.name)} cannot be written: ${file.error}`];
  return [
    `${indent}${title} ${q(file.name)} → ${describeDestination(file.destination)}`,
    ...destinationLines(file.destination, `${indent}  `),
  ];
}

function matchLines(match: RuleMatch, index: number, explanation: Explanation): string[] {
  const { rule, prefix } = match;
  const pad = '              ';
  const lines = [
    `${index}. ${rule.pipelineName} → ${rule.recipient || '(no recipient)'} by ${rule.transferType}${rule.resource ? `   [${rule.resource}]` : ''}`,
    `   why        source_prefix ${q(prefix.pattern)}`,
  ];
  if (prefix.dateExpanded)
    lines.push(`${pad}$TODAYS_DATE → ${explanation.date.isoDate}: ${q(prefix.expanded)}`);
  if (prefix.starRemoved) lines.push(`${pad}one trailing * removed: ${q(prefix.resolved)}`);
  if (!prefix.dateExpanded && !prefix.starRemoved) lines.push(`${pad}no placeholder, no trailing *`);
  lines.push(
    `${pad}${q(explanation.key)} starts with ${q(prefix.resolved)}${explanation.kind === 'data' ? ': the object is listed when the rule fires' : ''} ✓`,
  );
  if (match.triggeredBy) {
    lines.push(
      `   fired by   a flag whose key starts with ${q(prefix.resolved)}, e.g. ${match.triggeredBy.join(', ')}`,
    );
  }
  lines.push(
    `   lists      s3://${match.listing.bucket}/${match.listing.prefix} — every object under it (all pages, sub-folders too), except keys ending pipeline_success.flag and directory markers`,
  );
  if (match.listing.note) lines.push(`${pad}note: ${match.listing.note}`);
  lines.push(`   writes     ${match.destinationPattern}   ({file} = each object’s file name)`);
  for (const note of match.naming) lines.push(`${pad}${note}`);
  const object = match.object;
  const source = `s3://${object.sourceBucket}/${object.sourceKey}`;
  if (object.error || !object.destination) {
    lines.push(
      `   ${object.example ? 'e.g.      ' : 'this key  '} ${source} cannot be written: ${object.error}`,
    );
  } else {
    lines.push(
      `   ${object.example ? 'e.g.      ' : 'this key  '} ${source} → ${describeDestination(object.destination)}`,
    );
    const sft = destinationLines(object.destination, `${pad}`);
    if (sft.length) lines.push(`   SFT agent`, ...sft);
  }
  lines.push(`   content    ${match.content[0] ?? ''}`);
  for (const note of match.content.slice(1)) lines.push(`${pad}${note}`);
  lines.push(...fileLines('control   ', match.controlFile, '   '));
  lines.push(...fileLines('manifest  ', match.manifest, '   '));
  return lines;
}

export function formatExplanation(explanation: Explanation): string {
  const { date } = explanation;
  const kind =
    explanation.kind === 'flag'
      ? 'a flag'
      : explanation.kind === 'data'
        ? 'a data object'
        : 'a directory marker';
  const lines = [
    `key    ${explanation.key}  (${kind}${explanation.bucket ? ` in ${explanation.bucket}` : ''})`,
    `date   ${date.isoDate}  ($TODAYS_DATE ${date.isoDate}, compact ${date.compactDate}, with time ${date.compactDateTime})`,
    `rules  ${explanation.itemsConsidered} items, ${explanation.invalidItems} invalid`,
    '',
    explanation.summary,
  ];
  explanation.matches.forEach((match, index) => {
    lines.push('', ...matchLines(match, index + 1, explanation));
  });
  for (const invalid of explanation.invalidMatches) {
    lines.push(
      '',
      `✗ ${String(invalid.pipelineName)} ${JSON.stringify(invalid.sourcePrefix)}${invalid.resource ? ` [${invalid.resource}]` : ''} would match, but the item is invalid and takes no action: ${invalid.reason}`,
    );
  }
  if (explanation.nearMisses.length) {
    lines.push('', 'near misses:');
    for (const miss of explanation.nearMisses) {
      lines.push(
        `  ${miss.rule.pipelineName} ${q(miss.rule.sourcePrefix)}: ${miss.reason}${miss.wouldMatchOn ? ` (try --date ${miss.wouldMatchOn})` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
