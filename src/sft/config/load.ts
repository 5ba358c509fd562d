import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { type ConfigPath, parseSftAgentConfig, SftConfigError } from './parse.ts';
import {
  type AssembledText,
  type SourceLine,
  spliceIncludes,
  substituteVariables,
  TemplateError,
} from './template.ts';
import type { SftAgentConfig } from './types.ts';

/** The original's two files. */
export interface SftConfigFiles {
  /** `agent-config.yml`, normally ending with `<#include "agent-application-config.yml">`. */
  agentConfig: string;
  /**
   * The routes file given separately. When set, every `<#include>` in `agentConfig` resolves to
   * it, and it is appended when `agentConfig` has no include.
   */
  applicationConfig?: string | undefined;
}

/**
 * Resolves an include relative to the including file. The repository keeps the Terraform
 * templates (`*.yml.tpl`), so a missing `x.yml` falls back to `x.yml.tpl` next to it.
 */
function defaultIncludeReader(from: string, name: string): { file: string; text: string } {
  const file = path.resolve(path.dirname(from), name);
  const chosen = !existsSync(file) && existsSync(`${file}.tpl`) ? `${file}.tpl` : file;
  return { file: chosen, text: readFileSync(chosen, 'utf8') };
}

function assemble(files: SftConfigFiles): AssembledText {
  const agentConfig = path.resolve(files.agentConfig);
  const applicationConfig = files.applicationConfig ? path.resolve(files.applicationConfig) : undefined;
  const read = applicationConfig
    ? (from: string, name: string) =>
        from === agentConfig
          ? { file: applicationConfig, text: readFileSync(applicationConfig, 'utf8') }
          : defaultIncludeReader(from, name)
    : defaultIncludeReader;
  let text = readFileSync(agentConfig, 'utf8');
  if (applicationConfig && !/^[ \t]*<#include\s/m.test(text)) {
    text = `${text.replace(/\n?$/, '\n')}<#include "${path.basename(applicationConfig)}">`;
  }
  return spliceIncludes(agentConfig, text, read);
}

function describeFiles(files: SftConfigFiles): string {
  return [files.agentConfig, files.applicationConfig].filter(Boolean).join(' + ');
}

/**
 * Loads the agent configuration from the original's files: splices the application config in,
 * substitutes `${var}` template variables from `variables`, parses the YAML and validates it.
 * Relative PEM paths under `httpClient.tls` resolve against the file that names them.
 *
 * @throws SftConfigError naming the file, line, route and field of each problem.
 */
export function loadSftAgentConfig(
  files: SftConfigFiles | string,
  variables: Readonly<Record<string, string | undefined>> = {},
): SftAgentConfig {
  const spec = typeof files === 'string' ? { agentConfig: files } : files;
  const origin = describeFiles(spec);
  const fail = (message: string, where?: SourceLine) =>
    new SftConfigError(origin, [{ path: [], message, origin: where, field: '(file)' }]);

  let assembled: AssembledText;
  try {
    assembled = substituteVariables(assemble(spec), variables);
  } catch (error) {
    if (error instanceof TemplateError) throw fail(error.message.replace(/^[^:]+:\d+: /, ''), error.origin);
    throw fail((error as Error).message);
  }

  const lineCounter = new LineCounter();
  const document = parseDocument(assembled.text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const originAt = (offset: number): SourceLine | undefined =>
    assembled.lines[lineCounter.linePos(offset).line - 1];
  if (document.errors.length > 0) {
    throw new SftConfigError(
      origin,
      document.errors.map((error) => ({
        path: [],
        message: error.message.split('\n')[0]!,
        origin: originAt(error.pos[0]),
        field: '(YAML)',
      })),
    );
  }
  const locate = (at: ConfigPath): SourceLine | undefined => {
    const node = at.length === 0 ? document.contents : document.getIn(at, true);
    return isNode(node) && node.range ? originAt(node.range[0]) : undefined;
  };

  const config = parseSftAgentConfig(document.toJS(), { origin, locate });
  const tls = config.httpClient.tls;
  if (tls) {
    const relativeTo = (key: string, value: string | undefined) => {
      if (value === undefined || path.isAbsolute(value)) return value;
      const declaredIn = locate(['httpClient', 'tls', key])?.file ?? spec.agentConfig;
      return path.resolve(path.dirname(declaredIn), value);
    };
    tls.caPath = relativeTo('caPath', tls.caPath);
    tls.certPath = relativeTo('certPath', tls.certPath);
    tls.keyPath = relativeTo('keyPath', tls.keyPath);
  }
  return config;
}
