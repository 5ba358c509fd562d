/**
 * `npm run peers`: installs the third-party AWS emulator the scenarios also run against (moto,
 * pinned in peers/requirements.txt) into a project-local Python venv, `.peers/`. Idempotent: when
 * the venv already holds exactly these requirements it says so and returns at once.
 *
 * Needs `python3` ≥ 3.11 with the venv module (Debian: `apt-get install python3-venv`) and access
 * to PyPI (or the machine's configured pip index).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PEERS_DIR } from '../src/peers/moto.ts';
import { PROJECT_ROOT } from '../src/sandbox/settings.ts';

const REQUIREMENTS = path.join(PROJECT_ROOT, 'peers/requirements.txt');
/** Records which requirements the venv was built from; a change re-runs pip. */
const STAMP = path.join(PEERS_DIR, 'requirements.sha256');
const VENV_PYTHON = path.join(PEERS_DIR, 'bin/python');
const MINIMUM_PYTHON: [number, number] = [3, 11];

function fail(message: string): never {
  console.error(`npm run peers: ${message}`);
  process.exit(1);
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function pythonVersion(python: string): [number, number] | undefined {
  const result = spawnSync(python, ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) return undefined;
  const [major, minor] = result.stdout.trim().split(' ').map(Number);
  return [major!, minor!];
}

const requirementsHash = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex');
const installed = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : undefined;
if (installed === requirementsHash && existsSync(VENV_PYTHON)) {
  const check = spawnSync(VENV_PYTHON, ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
  if (check.status === 0) {
    console.log(
      `peers: moto ${check.stdout.trim()} already installed in ${path.relative(process.cwd(), PEERS_DIR) || '.'}/`,
    );
    process.exit(0);
  }
}

const host = process.env.EGRESS_PEERS_PYTHON || 'python3';
const version = pythonVersion(host);
if (!version)
  fail(
    `no working ${host} on PATH; install Python ≥ ${MINIMUM_PYTHON.join('.')} (or set EGRESS_PEERS_PYTHON)`,
  );
if (version[0] < MINIMUM_PYTHON[0] || (version[0] === MINIMUM_PYTHON[0] && version[1] < MINIMUM_PYTHON[1])) {
  fail(
    `${host} is Python ${version.join('.')}; moto's pinned dependencies need ≥ ${MINIMUM_PYTHON.join('.')}`,
  );
}

if (!existsSync(VENV_PYTHON) || pythonVersion(VENV_PYTHON) === undefined) {
  // A broken venv (its interpreter moved or removed) is rebuilt rather than patched.
  rmSync(PEERS_DIR, { recursive: true, force: true });
  console.log(`peers: creating a Python ${version.join('.')} venv in .peers/`);
  run(host, ['-m', 'venv', PEERS_DIR]);
}
rmSync(STAMP, { force: true });
console.log('peers: installing peers/requirements.txt (moto and its pinned dependencies)');
run(VENV_PYTHON, [
  '-m',
  'pip',
  'install',
  '--quiet',
  '--disable-pip-version-check',
  '--no-input',
  '-r',
  REQUIREMENTS,
]);
const check = spawnSync(VENV_PYTHON, ['-c', 'import moto.server; print(moto.__version__)'], {
  encoding: 'utf8',
});
if (check.status !== 0) fail(`moto does not import after installing: ${check.stderr.trim()}`);
writeFileSync(STAMP, `${requirementsHash}\n`);
console.log(`peers: moto ${check.stdout.trim()} installed in .peers/`);
