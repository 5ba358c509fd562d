/**
 * The chaos accounting: after a run, every expected output of every source object is either at its
 * destination with the bytes of a clean run, or explained — in the dead-letter queue with a reason,
 * or in an SFT error folder with its sidecar. Everything else is counted: lost (nowhere), corrupt
 * (there, but not the clean run's bytes), unexplained (dead-lettered without any recorded reason),
 * strays (outputs nobody asked for), escapes (anything written outside sftRoot) and debris
 * (temporary `.partial` files left behind).
 *
 * Pure: {@link observe} in `observe.ts` gathers the {@link Observation}; this module only judges it.
 */

/** Where one expected output should end up. Paths are relative to sftRoot, without a leading `/`. */
export type OutputTarget =
  | { kind: 's3'; bucket: string; key: string }
  /** An SFT file that stays in the SFT directory (no agent in the run). */
  | { kind: 'sft-file'; path: string }
  /** An SFT file the agent carries to the stub NiFi; on failure it goes to `errorFolder`. */
  | {
      kind: 'sft-agent';
      staged: string;
      name: string;
      nifiBucket: string;
      nifiKey: string;
      errorFolder: string;
    };

/** One output the run must produce. `id` is the same in every run of the workload (clean or not). */
export interface ExpectedOutput {
  id: string;
  /** `source_prefix|pipeline_name`, as the service names rules in logs. */
  rule: string;
  /** The flag keys whose messages produce it. */
  flags: readonly string[];
  /** The source object, for data outputs. */
  source?: { bucket: string; key: string };
  /** Control file or manifest (no single source object). */
  kind?: 'control' | 'manifest';
  target: OutputTarget;
}

/** A failure the service reported (event or log line). */
export interface FailureRecord {
  bucket?: string | undefined;
  key?: string | undefined;
  rule?: string | undefined;
  reason: string;
  /**
   * A rule failure reported before any of its objects was attempted (listing failed, duplicate
   * destination names): its reason explains every output of the rule. A rule failure after
   * transfers ("2 of 5 objects failed", a control file) explains only its control file and manifest.
   */
  beforeTransfer?: boolean | undefined;
}

/** A message found in the dead-letter queue. */
export interface DeadLetter {
  messageId: string;
  /** Flag keys of its S3 event, URL-decoded; empty when the body is not an S3 event. */
  flagKeys: string[];
  /** `egress_failure_reason`, when the service dead-lettered it itself. */
  reason?: string | undefined;
}

/** A file in an SFT error folder and what its sidecar says. */
export interface ErrorFolderEntry {
  /** Path of the failed file, relative to sftRoot. */
  path: string;
  reason: string;
  route?: string | undefined;
}

/** Everything the checker looks at, gathered after the run. */
export interface Observation {
  /** `bucket/key` → SHA-256 (hex) of every object in the buckets under watch. */
  objects: ReadonlyMap<string, string>;
  /** Regular files under sftRoot (relative path → SHA-256), sidecars included. */
  sftFiles: ReadonlyMap<string, string>;
  /** Entries under sftRoot that are neither files nor directories (symbolic links, sockets…). */
  sftOther: readonly string[];
  errorEntries: readonly ErrorFolderEntry[];
  deadLetters: readonly DeadLetter[];
  failures: readonly FailureRecord[];
  /** Anything created next to sftRoot, in its parent directory (never allowed). */
  outside: readonly string[];
  /** The source queue at the end (a settled run has nothing left). */
  queue: { visible: number; inFlight: number };
}

export type OutputStatus = 'delivered' | 'dead-lettered' | 'sft-error' | 'lost' | 'corrupt' | 'unexplained';

export interface OutputAccount {
  output: ExpectedOutput;
  status: OutputStatus;
  /** The reason (explained outcomes) or what is wrong. */
  detail: string;
}

export interface AccountingReport {
  scenario: string;
  sourceObjects: number;
  outputs: OutputAccount[];
  totals: Record<OutputStatus, number>;
  /** Outputs nobody expected (and not debris). */
  strays: string[];
  /** Temporary files (`.name.xxxx.partial`) left in the SFT directory. */
  debris: string[];
  escapes: string[];
  /** Dead letters without any reason on record. */
  unexplainedDeadLetters: string[];
  /** Source objects with at least one lost output. */
  lost: number;
  /** Corrupt + unexplained outputs, strays, escapes and unexplained dead letters. */
  unexplained: number;
  notes: string[];
}

const STATUSES: readonly OutputStatus[] = [
  'delivered',
  'dead-lettered',
  'sft-error',
  'lost',
  'corrupt',
  'unexplained',
];

/** `.name.<hex>.partial`: the egress service's and the SFT agent's temporary files. */
function isDebris(relativePath: string): boolean {
  const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
  return name.startsWith('.') && (name.endsWith('.partial') || name.endsWith('.tmp'));
}

function presentAt(output: ExpectedOutput, observation: Observation): string | undefined {
  const { target } = output;
  switch (target.kind) {
    case 's3':
      return observation.objects.get(`${target.bucket}/${target.key}`);
    case 'sft-file':
      return observation.sftFiles.get(target.path);
    case 'sft-agent':
      return observation.objects.get(`${target.nifiBucket}/${target.nifiKey}`);
  }
}

/** The error-folder entry of an agent-carried output: `<errorFolder>/<name>` or `<name>.<stamp>`. */
function errorEntryFor(output: ExpectedOutput, observation: Observation): ErrorFolderEntry | undefined {
  const { target } = output;
  if (target.kind !== 'sft-agent') return undefined;
  const exact = `${target.errorFolder}/${target.name}`;
  return observation.errorEntries.find(
    (entry) =>
      entry.path === exact ||
      (entry.path.startsWith(`${exact}.`) && /^\.\d{8}T\d+Z?(-\d+)?$/.test(entry.path.slice(exact.length))),
  );
}

function reasonsFor(output: ExpectedOutput, failures: readonly FailureRecord[]): string[] {
  const reasons = failures
    .filter((failure) =>
      output.source
        ? (failure.key === output.source.key &&
            (failure.bucket === undefined || failure.bucket === output.source.bucket)) ||
          (failure.key === undefined && failure.beforeTransfer === true && failure.rule === output.rule)
        : failure.rule === output.rule,
    )
    .map((failure) => failure.reason);
  return [...new Set(reasons)];
}

/**
 * Judges one run. `reference` maps output ids to the SHA-256 of a clean run's output; an output is
 * delivered only when its bytes match it.
 */
export function account(
  scenario: string,
  expected: readonly ExpectedOutput[],
  observation: Observation,
  reference: ReadonlyMap<string, string>,
): AccountingReport {
  const outputs: OutputAccount[] = [];
  const notes: string[] = [];
  const deadFlags = new Map<string, DeadLetter[]>();
  for (const letter of observation.deadLetters) {
    for (const flag of letter.flagKeys) deadFlags.set(flag, [...(deadFlags.get(flag) ?? []), letter]);
  }

  for (const output of expected) {
    const hash = presentAt(output, observation);
    if (hash !== undefined) {
      const wanted = reference.get(output.id);
      if (wanted === undefined) {
        outputs.push({
          output,
          status: 'unexplained',
          detail: 'present, but the clean run has no such output',
        });
      } else if (wanted !== hash) {
        outputs.push({
          output,
          status: 'corrupt',
          detail: `sha256 ${hash.slice(0, 12)} ≠ clean run ${wanted.slice(0, 12)}`,
        });
      } else {
        outputs.push({ output, status: 'delivered', detail: '' });
      }
      continue;
    }
    const errorEntry = errorEntryFor(output, observation);
    if (errorEntry) {
      outputs.push({ output, status: 'sft-error', detail: `${errorEntry.path}: ${errorEntry.reason}` });
      continue;
    }
    const letters = output.flags.flatMap((flag) => deadFlags.get(flag) ?? []);
    if (letters.length > 0) {
      const reasons = [
        ...letters.map((letter) => letter.reason).filter((reason): reason is string => Boolean(reason)),
        ...reasonsFor(output, observation.failures),
      ];
      outputs.push(
        reasons.length > 0
          ? { output, status: 'dead-lettered', detail: [...new Set(reasons)].join(' | ') }
          : { output, status: 'unexplained', detail: 'its flag is in the DLQ, but no failure was recorded' },
      );
      continue;
    }
    const staged = output.target.kind === 'sft-agent' ? output.target.staged : undefined;
    const failures = reasonsFor(output, observation.failures);
    outputs.push({
      output,
      status: 'lost',
      detail: [
        staged && observation.sftFiles.has(staged) ? `still waiting in ${staged}` : 'nowhere',
        failures.length > 0 ? `last failures: ${failures.join(' | ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }

  // Outputs nobody asked for.
  const expectedObjects = new Set<string>();
  const expectedFiles = new Set<string>();
  for (const { target } of expected) {
    if (target.kind === 's3') expectedObjects.add(`${target.bucket}/${target.key}`);
    if (target.kind === 'sft-file') expectedFiles.add(target.path);
    if (target.kind === 'sft-agent') expectedObjects.add(`${target.nifiBucket}/${target.nifiKey}`);
  }
  const explainedErrorFiles = new Set(
    outputs
      .filter((account) => account.status === 'sft-error')
      .flatMap((account) => {
        const entry = errorEntryFor(account.output, observation);
        return entry ? [entry.path, `${entry.path}.error.json`] : [];
      }),
  );
  const strays: string[] = [];
  const debris: string[] = [];
  for (const objectKey of observation.objects.keys()) {
    if (!expectedObjects.has(objectKey)) strays.push(`s3://${objectKey}`);
  }
  for (const file of observation.sftFiles.keys()) {
    if (expectedFiles.has(file) || explainedErrorFiles.has(file)) continue;
    if (isDebris(file)) debris.push(file);
    else strays.push(`sft:${file}`);
  }
  for (const other of observation.sftOther) strays.push(`sft (not a regular file):${other}`);

  // A dead letter for expected outputs is judged through those outputs (above); one that covers
  // none of them must carry its own reason.
  const coveredFlags = new Set(expected.flatMap((output) => output.flags));
  const unexplainedDeadLetters = observation.deadLetters
    .filter((letter) => !letter.reason && !letter.flagKeys.some((flag) => coveredFlags.has(flag)))
    .map((letter) => `${letter.messageId} (flags: ${letter.flagKeys.join(', ') || 'none'})`);

  if (observation.queue.visible + observation.queue.inFlight > 0) {
    notes.push(
      `the source queue still holds ${observation.queue.visible} visible and ${observation.queue.inFlight} in-flight message(s)`,
    );
  }
  if (debris.length > 0) notes.push(`${debris.length} temporary file(s) left in the SFT directory`);

  const totals = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<OutputStatus, number>;
  for (const { status } of outputs) totals[status] += 1;
  const lostSources = new Set(
    outputs
      .filter((account) => account.status === 'lost')
      .map((account) => account.output.source?.key ?? `${account.output.rule} ${account.output.kind}`),
  );
  const sourceKeys = new Set(expected.flatMap((output) => (output.source ? [output.source.key] : [])));
  return {
    scenario,
    sourceObjects: sourceKeys.size,
    outputs,
    totals,
    strays,
    debris,
    escapes: [...observation.outside],
    unexplainedDeadLetters,
    lost: lostSources.size,
    unexplained:
      totals.corrupt +
      totals.unexplained +
      strays.length +
      observation.outside.length +
      unexplainedDeadLetters.length,
    notes,
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** One row per report, then the details of every output that was not simply delivered. */
export function formatAccountingTable(reports: readonly AccountingReport[]): string {
  const header = [
    'scenario',
    'objects',
    'outputs',
    'delivered',
    'dlq',
    'sft-error',
    'lost',
    'corrupt',
    'unexpl.',
    'strays',
    'escapes',
    'debris',
    'verdict',
  ];
  const rows = reports.map((report) => [
    report.scenario,
    String(report.sourceObjects),
    String(report.outputs.length),
    String(report.totals.delivered),
    String(report.totals['dead-lettered']),
    String(report.totals['sft-error']),
    String(report.lost),
    String(report.totals.corrupt),
    String(report.totals.unexplained + report.unexplainedDeadLetters.length),
    String(report.strays.length),
    String(report.escapes.length),
    String(report.debris.length),
    report.lost === 0 && report.unexplained === 0 ? 'OK' : 'FAIL',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => pad(cell, widths[column]!, column > 0 && column < cells.length - 1))
      .join('  ');
  const out = [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
  for (const report of reports) {
    const details = report.outputs.filter((account) => account.status !== 'delivered');
    const extra = [
      ...report.strays.map((stray) => `stray: ${stray}`),
      ...report.escapes.map((entry) => `ESCAPE: ${entry}`),
      ...report.unexplainedDeadLetters.map((letter) => `dead letter without reason: ${letter}`),
      ...report.debris.map((file) => `debris: ${file}`),
      ...report.notes.map((note) => `note: ${note}`),
    ];
    if (details.length === 0 && extra.length === 0) continue;
    out.push('', `${report.scenario}:`);
    for (const account of details) {
      const detail = account.detail.length > 200 ? `${account.detail.slice(0, 197)}...` : account.detail;
      out.push(`  ${account.status.padEnd(13)} ${account.output.id}  ${detail}`);
    }
    for (const text of extra) out.push(`  ${text}`);
  }
  return out.join('\n');
}
