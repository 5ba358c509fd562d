import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/egress.js');

/** Runs the CLI with a stdout whose reader has already gone, as `egress … | head -1` leaves it. */
async function runIntoClosedPipe(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Closing our end before the CLI writes makes its first write fail with EPIPE, every time.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) =>
    child.on('exit', (exitCode) => resolve(exitCode)),
  );
  return { code, stderr };
}

describe('a reader that stops early (`egress … | head`)', () => {
  it.each([
    [
      'routes map --format dot',
      ['routes', 'map', '--rules', 'config/rules/routing-items.json', '--format', 'dot'],
    ],
    ['routes list', ['routes', 'list', '--rules', 'config/rules/routing-items.json']],
    ['--help', ['routes', 'list', '--help']],
  ])('ends %s quietly with exit 0, no stack trace', async (_name, args) => {
    const { code, stderr } = await runIntoClosedPipe(args);
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(code).toBe(0);
  });
});
