import type { ObjectHandling } from '../egress/crypto/index.ts';
import { s3Url } from '../egress/plan/locations.ts';
import type { NamingStep } from '../egress/plan/naming.ts';
import type { Explanation, ObjectPlan, PlannedDestination, PlannedFile, RuleMatch } from './explain.ts';
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
  if (delivery.outcome === 'ignored') {
    lines.push(
      `${indent}the SFT agent ignores ${q(delivery.fileName)} (hidden, *.partial and *.tmp names are writers' temporary files): it stays in ${delivery.directory}`,
    );
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
      lines.push(`${indent}  writeFile → ${step.destination}/${step.next.fileName}`);
      lines.push(...deliveryLines(step.next, `${indent}    `));
    } else if (step.action === 'renameFile') {
      lines.push(
        'to' in step
          ? `${indent}  renameFile ${q(step.from)} → ${q(step.to)}`
          : `${indent}  renameFile ${q(step.from)} fails: ${step.error}`,
      );
    } else {
      lines.push(`${indent}  httpRequest POST ${step.url} (filename ${q(step.sentName)})`);
      const nifi = step.stubNifi;
      lines.push(
        'key' in nifi
          ? `${indent}    stub NiFi stores ${s3Url(nifi.bucket, nifi.key)}`
          : 'refused' in nifi
            ? `${indent}    stub NiFi refuses it: ${nifi.refused}`
            : `${indent}    the agent cannot send it: ${nifi.unsendable}`,
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

const NAMING_STEPS: Record<NamingStep['step'], string> = {
  timestamp: 'timestamp_files',
  'file-name': 'file name',
  'destination-prefix': 'destination prefix',
  'strip-enc': '.enc removed',
  'compression-suffix': 'suffix added',
};

/** How the service handles one kind of source object under the rule, in words. */
function handlingText(handling: ObjectHandling, match: RuleMatch): string {
  const sft = match.rule.transferType === 'SFT';
  switch (handling.kind) {
    case 'plain':
      return handling.warning ?? 'copied as it is';
    case 'cse':
      return 'decrypted (the envelope key unwrapped through the DKS), whatever decrypt says';
    case 'refused':
      return `the object fails: ${handling.reason}`;
    case 'htme':
      if (handling.action === 'decrypt') {
        return 'decrypted: the data key unwrapped by the DKS, the body deciphered with AES-CTR';
      }
      if (handling.action === 'rewrap') {
        return `stays encrypted; its data key is re-wrapped with the RSA public key in SSM parameter ${q(match.content.rewrapKeyParameter ?? '')} (RSA-OAEP-SHA256) and written as the new ciphertext metadata`;
      }
      return sft
        ? 'written still encrypted and WITHOUT its key metadata (SFT files carry none)'
        : 'copied still encrypted, with its envelope metadata (iv, ciphertext, datakeyencryptionkeyid, data_product*)';
  }
}

function contentLines(match: RuleMatch, pad: string): string[] {
  const { content } = match;
  const lines = [
    `an unencrypted object: ${handlingText(content.plain, match)}`,
    `a client-side-encrypted object (x-amz-matdesc): ${handlingText(content.cse, match)}`,
    `an HTME object (datakeyencryptionkeyid, ciphertext, iv): ${handlingText(content.htme, match)}`,
    `an HTME object without its iv: ${handlingText(content.htmeIncomplete, match)}`,
    content.compression
      ? `compressed with ${content.compression === 'gz' ? 'gzip' : 'zlib'}`
      : 'no compression',
  ];
  if (content.roleArn) {
    lines.push(
      `S3 writes (data, control, manifest) use credentials from sts:AssumeRole ${content.roleArn} (session data-egress)`,
    );
  }
  if (content.manifestEncryption) {
    lines.push(
      content.manifestEncryption === 'plaintext'
        ? 'manifest: gzip, not encrypted'
        : `manifest: gzip, then encrypted (${content.manifestEncryption}) with a DKS data key`,
    );
  }
  return lines.map((line, index) => (index === 0 ? `   content    ${line}` : `${pad}${line}`));
}

function objectLines(object: ObjectPlan, pad: string, label: string): string[] {
  const source = s3Url(object.sourceBucket, object.sourceKey);
  if (object.error || !object.destination) {
    return [`   ${label} ${source}: ${object.error}`];
  }
  const lines = [`   ${label} ${source} → ${describeDestination(object.destination)}`];
  for (const step of object.naming)
    lines.push(`${pad}${NAMING_STEPS[step.step].padEnd(19)}${q(step.result)}`);
  const sft = destinationLines(object.destination, `${pad}`);
  if (sft.length) lines.push('   SFT agent', ...sft);
  return lines;
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
    `   lists      ${s3Url(match.listing.bucket, match.listing.prefix)} — every object under it (all pages, sub-folders too); flags and directory markers are skipped`,
  );
  if (match.listing.note) lines.push(`${pad}note: ${match.listing.note}`);
  const location = match.location;
  lines.push(
    location.transferType === 'S3'
      ? `   writes     to ${location.url} — each object under its file name`
      : `   writes     into the SFT directory ${location.path} — each object under its file name`,
  );
  lines.push(...objectLines(match.object, pad, match.object.example ? 'e.g.      ' : 'this key  '));
  lines.push(...contentLines(match, pad));
  lines.push(...fileLines('control   ', match.controlFile, '   '));
  lines.push(...fileLines('manifest  ', match.manifest, '   '));
  if (match.listed) {
    lines.push(`   listed     ${match.listed.length} object${match.listed.length === 1 ? '' : 's'}`);
    for (const object of match.listed) {
      const where = object.destination ? describeDestination(object.destination) : object.error;
      lines.push(`${pad}${object.sourceKey} → ${where}`);
    }
  }
  if (match.outcome === 'fails') {
    lines.push(`   outcome    the rule fails (the message is kept for retry, no control file or manifest):`);
    for (const failure of match.failures) lines.push(`${pad}${failure}`);
  }
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
