import { describe, expect, it } from 'vitest';
import { loadSftAgentConfig } from '../../src/sft/config/load.ts';
import { groupBySource, selectRoute } from '../../src/sft/routing.ts';
import { SFT_TEMPLATE_DIR } from '../../src/sft/sandbox-config.ts';
import { isIgnoredName } from '../../src/sft/volume/names.ts';

const config = loadSftAgentConfig(`${SFT_TEMPLATE_DIR}agent-config.yml.tpl`, {
  aws_destination_url: 'nifi',
  apiKey: 'k',
});
const ris = groupBySource(config.routes).get('/data-egress/RIS')!;

describe('several routes on one source directory: the first matching route in file order wins', () => {
  it('groups the two RIS routes together, in file order', () => {
    expect(ris.map((route) => route.name)).toEqual([
      'internal/CRE/inbound/Dataworks/UCFS/data-CopySubsetToBothRISandCRE',
      'internal/CRE/inbound/Dataworks/UCFS/data-CopyOtherThanSubsetToRIS',
    ]);
  });

  it.each([
    ['db.core.claimant-045-070-000001.20210901.txt.gz.enc', 'data-CopySubsetToBothRISandCRE'],
    ['db.accepted-data.personDetails-001-002-000003.20210901.txt.gz.enc', 'data-CopySubsetToBothRISandCRE'],
    ['db.core.claimant-20210901.control', 'data-CopyOtherThanSubsetToRIS'],
    ['db.core.toDo-045-070-000001.20210901.txt.gz.enc', 'data-CopyOtherThanSubsetToRIS'],
    ['manifest.csv', 'data-CopyOtherThanSubsetToRIS'],
  ])('%s → %s', (name, expected) => {
    expect(selectRoute(ris, name)?.name).toBe(`internal/CRE/inbound/Dataworks/UCFS/${expected}`);
  });

  it('returns no route when none matches', () => {
    expect(selectRoute([ris[0]!], 'db.core.claimant-20210901.control')).toBeUndefined();
  });
});

describe('temporary and hidden names are ignored', () => {
  it.each([
    ['.file.txt.1234.partial', true],
    ['.hidden', true],
    ['file.partial', true],
    ['file.tmp', true],
    ['file.txt', false],
    ['db.core.claimant-20210901.control', false],
    ['partial.txt', false],
  ])('%s → %s', (name, ignored) => {
    expect(isIgnoredName(name)).toBe(ignored);
  });
});
