import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../sandbox/settings.ts';

/** The moto release the project pins (peers/requirements.txt); another one still runs, with a note. */
export const PINNED_MOTO_VERSION = '5.2.5';

/** The project-local Python environment `npm run peers` creates. */
export const PEERS_DIR = path.join(PROJECT_ROOT, '.peers');

/** The Python script that runs moto on a free port and stops it when its parent goes away. */
export const MOTO_LAUNCHER = path.join(PROJECT_ROOT, 'peers/moto_launcher.py');

/** The one line that tells a person how to get moto. */
export const MOTO_INSTALL_HINT =
  'install it with `npm run peers` (a Python venv in .peers/, needs Python ≥ 3.11)';

/**
 * Where a Python interpreter with moto may be: `EGRESS_MOTO_PYTHON` alone when set, else the
 * project's venv first, then `python3` on PATH.
 */
export function motoPythonCandidates(
  env: NodeJS.ProcessEnv = process.env,
  peersDir: string = PEERS_DIR,
): string[] {
  if (env.EGRESS_MOTO_PYTHON) return [env.EGRESS_MOTO_PYTHON];
  return [path.join(peersDir, 'bin/python'), 'python3'];
}

/** True for an interpreter inside the project's `.peers/` venv. */
function isPeersPython(python: string): boolean {
  return path.resolve(python).startsWith(`${path.resolve(PEERS_DIR)}${path.sep}`);
}

/** Options for {@link startMoto}. */
export interface StartMotoOptions {
  /** Interface to listen on. @defaultValue `127.0.0.1` */
  host?: string;
  /** Interpreters to try, in order. @defaultValue {@link motoPythonCandidates} */
  pythons?: string[];
  /** Give up when moto has not bound its port within this long. @defaultValue 30 000 ms */
  readyTimeoutMs?: number;
  /** moto's own output (errors, tracebacks) is appended here; otherwise discarded. */
  logFile?: string;
  signal?: AbortSignal;
}

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: one endpoint for S3, SQS, DynamoDB, SSM, STS, KMS. */
  readonly endpoint: string;
  readonly port: number;
  /** moto's version as it reports it. */
  readonly version: string;
  /** The interpreter that runs it. */
  readonly python: string;
  /** True when it came from the project's `.peers/` venv. */
  readonly fromPeers: boolean;
  readonly process: ChildProcess;
  /** Stops moto (closes its standard input, then SIGKILL after 5 s); safe to call twice. */
  stop(): Promise<void>;
}

/** No interpreter found could import moto. */
export class MotoUnavailableError extends Error {
  override readonly name = 'MotoUnavailableError';
  constructor(readonly tried: { python: string; reason: string }[]) {
    super(
      `moto is not installed (${tried.map((t) => `${t.python}: ${t.reason}`).join('; ')}); ${MOTO_INSTALL_HINT}`,
    );
  }
}

/** moto was found but did not start. */
export class MotoStartError extends Error {
  override readonly name = 'MotoStartError';
  constructor(
    readonly python: string,
    message: string,
  ) {
    super(`moto (${python}) did not start: ${message}`);
  }
}

interface LauncherLine {
  ready: boolean;
  host?: string;
  port?: number;
  moto?: string;
  python?: string;
  error?: string;
}

type Attempt =
  | { kind: 'started'; line: LauncherLine; child: ChildProcess }
  | { kind: 'unavailable'; reason: string };

/** Runs the launcher with one interpreter and waits for its first line. */
function launch(python: string, options: StartMotoOptions): Promise<Attempt> {
  const child = spawn(python, [MOTO_LAUNCHER, options.host ?? '127.0.0.1'], {
    // stdin stays open: moto stops when it closes (our exit, whatever the cause).
    stdio: ['pipe', 'pipe', options.logFile ? 'pipe' : 'ignore'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  // Writing nothing, but closing a pipe whose reader is gone must not throw.
  child.stdin!.on('error', () => {});
  if (options.logFile && child.stderr) {
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    const log = createWriteStream(options.logFile, { flags: 'a' });
    // A log that cannot be written must not take the run down with it.
    log.on('error', () => child.stderr?.unpipe(log).resume());
    child.stderr.pipe(log);
  }
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  return new Promise<Attempt>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      child.off('error', onError);
      child.off('exit', onExit);
      lines.off('line', onLine);
      lines.close();
      settle();
    };
    const fail = (error: Error) => {
      child.kill('SIGKILL');
      finish(() => reject(error));
    };
    const onAbort = () => fail(options.signal!.reason as Error);
    const onError = (error: NodeJS.ErrnoException) =>
      finish(() =>
        resolve({ kind: 'unavailable', reason: error.code === 'ENOENT' ? 'not found' : error.message }),
      );
    // An exit before any line: the interpreter runs but cannot run the launcher (an old Python).
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(() => resolve({ kind: 'unavailable', reason: `exited with ${code ?? signal}` }));
    const onLine = (text: string) => {
      let line: LauncherLine;
      try {
        line = JSON.parse(text) as LauncherLine;
      } catch {
        fail(new MotoStartError(python, `unexpected output: ${text.slice(0, 200)}`));
        return;
      }
      if (!line.ready) {
        child.kill('SIGKILL');
        finish(() => resolve({ kind: 'unavailable', reason: line.error ?? 'not ready' }));
        return;
      }
      finish(() => resolve({ kind: 'started', line, child }));
    };
    const timer = setTimeout(
      () => fail(new MotoStartError(python, `no ready line within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', onError);
    child.on('exit', onExit);
    lines.on('line', onLine);
  });
}

/**
 * Starts moto's server as a child process on a free loopback port and resolves once it accepts
 * connections. Uses the project's `.peers/` venv (`npm run peers`), else a `python3` on PATH that
 * has moto. moto also stops when this process ends without calling `stop()` (its standard input
 * closes), so an interrupted or crashed test run leaves nothing behind.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  if (!Number.isFinite(readyTimeoutMs) || readyTimeoutMs < 1 || readyTimeoutMs > 600_000) {
    throw new RangeError(`startMoto: readyTimeoutMs must be 1–600000 ms, not ${options.readyTimeoutMs}`);
  }
  const pythons = options.pythons ?? motoPythonCandidates();
  const tried: { python: string; reason: string }[] = [];
  for (const python of pythons) {
    const attempt = await launch(python, options);
    if (attempt.kind === 'unavailable') {
      tried.push({ python, reason: attempt.reason });
      continue;
    }
    const { line, child } = attempt;
    const host = line.host ?? options.host ?? '127.0.0.1';
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stopping: Promise<void> | undefined;
    return {
      endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${line.port}`,
      port: line.port!,
      version: line.moto ?? 'unknown',
      python: line.python ?? python,
      fromPeers: isPeersPython(python),
      process: child,
      stop() {
        stopping ??= (async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.stdin?.end();
          const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          try {
            await exited;
          } finally {
            clearTimeout(killer);
          }
        })();
        return stopping;
      },
    };
  }
  throw new MotoUnavailableError(tried);
}

/** An interpreter that can run moto, and moto's version there. */
export interface MotoInstallation {
  python: string;
  version: string;
  fromPeers: boolean;
}

/**
 * The first interpreter of {@link motoPythonCandidates} that imports moto, without starting a
 * server (for a test file deciding whether to run or skip); `undefined` when there is none.
 */
export function findMoto(pythons: string[] = motoPythonCandidates()): MotoInstallation | undefined {
  for (const python of pythons) {
    const result = spawnSync(python, ['-c', 'import moto; print(moto.__version__)'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (result.status === 0) {
      return {
        python,
        version: result.stdout.trim(),
        fromPeers: isPeersPython(python),
      };
    }
  }
  return undefined;
}
