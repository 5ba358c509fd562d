import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** One measured figure, with its goal when the issue sets one. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The floor or baseline measured in the same run, and value/floor. */
  floor?: { name: string; value: number; ratio: number };
  goal?: { text: string; met: boolean };
}

export interface BenchmarkResult {
  benchmark: string;
  description: string;
  figures: Figure[];
  notes?: string[];
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchmarkResult>;
}

export function machine() {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * CPU ticks (1/100 s) the whole machine spent busy, and those this process and its reaped children
 * spent (Linux /proc). The difference over a benchmark is what OTHER processes used meanwhile.
 */
export async function cpuTicks(): Promise<{ machine: number; ours: number }> {
  const stat = await readFile('/proc/stat', 'utf8');
  const [, ...cpu] = stat.split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = cpu;
  const self = await readFile('/proc/self/stat', 'utf8');
  const fields = self
    .slice(self.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return {
    machine: user + nice + system + irq + softirq,
    ours: fields[11]! + fields[12]! + fields[13]! + fields[14]!,
  };
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export async function rssMiB(pid: number = process.pid): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return round(kb / 1024, 1);
}

/** Peak resident set size (high-water mark) in MiB, from /proc (Linux). */
export async function peakRssMiB(pid: number = process.pid): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return round(kb / 1024, 1);
}

const RESULTS = path.resolve('bench/RESULTS.md');

/**
 * Writes `bench/out/<name>.json` and, unless `markdown` is false, appends a Markdown section to
 * bench/RESULTS.md.
 */
export async function record(
  result: BenchmarkResult,
  options: { markdown?: boolean; loadBefore?: string; otherCpu?: number } = {},
): Promise<void> {
  const at = new Date().toISOString();
  const info = machine();
  await mkdir('bench/out', { recursive: true });
  await writeFile(
    `bench/out/${result.benchmark}.json`,
    `${JSON.stringify({ at, machine: { ...info, loadBefore: options.loadBefore, otherProcessesCpuPercent: options.otherCpu }, ...result }, null, 2)}\n`,
  );
  if (options.markdown === false) return;
  const rows = result.figures.map((f) => {
    const floor = f.floor ? `${f.floor.name}: ${f.floor.value} ${f.unit} (ratio ${f.floor.ratio})` : '';
    const goal = f.goal ? `${f.goal.met ? '✅' : '❌'} ${f.goal.text}` : '';
    return `| ${f.name} | ${f.value} ${f.unit} | ${floor} | ${goal} |`;
  });
  const section = [
    `\n## ${result.benchmark} — ${at}`,
    '',
    `${result.description}`,
    '',
    `Machine: Node ${info.node}, ${info.cpus}, ${info.memoryGiB} GiB, ${info.platform}, load ${options.loadBefore ? `${options.loadBefore} before, ` : ''}${info.loadAverage}${options.loadBefore ? ' after (the benchmark itself loads both cores)' : ''}${options.otherCpu === undefined ? '' : `; other processes used ${options.otherCpu} % of one core meanwhile`}.`,
    '',
    '| figure | value | floor (same run) | goal |',
    '|---|---|---|---|',
    ...rows,
    ...(result.notes?.length ? ['', ...result.notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
  await appendFile(RESULTS, section);
}
