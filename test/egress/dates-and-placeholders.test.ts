import { describe, expect, it } from 'vitest';
import { dateStamps, defaultTimeZone, isValidTimeZone } from '../../src/egress/plan/dates.ts';
import {
  expandAllDatePlaceholders,
  expandControlFilePrefix,
  expandSourcePrefix,
} from '../../src/egress/plan/placeholders.ts';

describe('dateStamps', () => {
  it.each([
    // [instant, zone, yyyy-MM-dd, yyyyMMdd, yyyyMMdd_HHmmss]
    ['2021-09-01T12:34:56Z', 'UTC', '2021-09-01', '20210901', '20210901_123456'],
    ['2021-09-01T00:00:00Z', 'UTC', '2021-09-01', '20210901', '20210901_000000'],
    ['2021-09-01T23:59:59Z', 'UTC', '2021-09-01', '20210901', '20210901_235959'],
    // Around New Year the week-based year (Java `YYYY`) of the original was next year's; here the
    // calendar year holds on every one of these days (behaviour §10.11).
    ['2019-12-29T10:00:00Z', 'UTC', '2019-12-29', '20191229', '20191229_100000'],
    ['2019-12-30T10:00:00Z', 'UTC', '2019-12-30', '20191230', '20191230_100000'],
    ['2019-12-31T10:00:00Z', 'UTC', '2019-12-31', '20191231', '20191231_100000'],
    ['2024-12-30T23:59:59Z', 'UTC', '2024-12-30', '20241230', '20241230_235959'],
    ['2024-12-31T12:00:00Z', 'UTC', '2024-12-31', '20241231', '20241231_120000'],
    ['2025-12-29T08:00:00Z', 'UTC', '2025-12-29', '20251229', '20251229_080000'],
    ['2026-12-31T23:59:59Z', 'UTC', '2026-12-31', '20261231', '20261231_235959'],
    ['2027-01-01T00:00:00Z', 'UTC', '2027-01-01', '20270101', '20270101_000000'],
    // …and the first days of January stay in January's year (week 53 of the previous year in ISO).
    ['2021-01-01T09:00:00Z', 'UTC', '2021-01-01', '20210101', '20210101_090000'],
    ['2021-01-03T09:00:00Z', 'UTC', '2021-01-03', '20210103', '20210103_090000'],
    // The configured zone decides the day: late evening UTC is already tomorrow in Tokyo.
    ['2021-12-31T23:30:00Z', 'Asia/Tokyo', '2022-01-01', '20220101', '20220101_083000'],
    ['2021-12-31T23:30:00Z', 'Europe/London', '2021-12-31', '20211231', '20211231_233000'],
    ['2021-07-01T23:30:00Z', 'Europe/London', '2021-07-02', '20210702', '20210702_003000'],
    ['2022-01-01T02:00:00Z', 'America/New_York', '2021-12-31', '20211231', '20211231_210000'],
  ])('%s in %s → %s / %s / %s', (instant, zone, iso, compact, compactTime) => {
    expect(dateStamps(new Date(instant), zone)).toEqual({
      isoDate: iso,
      compactDate: compact,
      compactDateTime: compactTime,
    });
  });

  it('defaults to UTC unless TZ is set', () => {
    expect(defaultTimeZone({})).toBe('UTC');
    expect(defaultTimeZone({ TZ: '' })).toBe('UTC');
    expect(defaultTimeZone({ TZ: 'Europe/London' })).toBe('Europe/London');
  });

  it.each([
    ['UTC', true],
    ['Europe/London', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
  ])('isValidTimeZone(%j) is %s', (zone, valid) => {
    expect(isValidTimeZone(zone)).toBe(valid);
  });
});

describe('placeholders', () => {
  const stamps = dateStamps(new Date('2021-09-01T12:34:56Z'), 'UTC');

  it.each([
    ['dataegress/cbol-report/$TODAYS_DATE/*', 'dataegress/cbol-report/2021-09-01/*'],
    ['a/$TODAYS_DATE/b/$TODAYS_DATE/', 'a/2021-09-01/b/2021-09-01/'],
    // The compact placeholders are not substituted in source prefixes (behaviour §2.1/§2.2).
    ['x/$TODAYS_YYYYMMDD_FORMATTED_DATE/', 'x/$TODAYS_YYYYMMDD_FORMATTED_DATE/'],
    ['x/$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE/', 'x/$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE/'],
    ['opsmi/', 'opsmi/'],
  ])('source prefix %j → %j', (pattern, expected) => {
    expect(expandSourcePrefix(pattern, stamps)).toBe(expected);
  });

  it.each([
    ['cbol/$TODAYS_DATE/', 'cbol/2021-09-01/'],
    ['d/$TODAYS_YYYYMMDD_FORMATTED_DATE/', 'd/20210901/'],
    ['d/$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE/', 'd/20210901_123456/'],
    [
      '$TODAYS_DATE/$TODAYS_YYYYMMDD_FORMATTED_DATE/$TODAYS_YYYYMMDD_HHMMSS_FORMATTED_DATE*',
      '2021-09-01/20210901/20210901_123456*',
    ],
    ['manifest-$TODAYS_DATE.csv', 'manifest-2021-09-01.csv'],
    ['', ''],
  ])('destination prefix / manifest name %j → %j', (pattern, expected) => {
    expect(expandAllDatePlaceholders(pattern, stamps)).toBe(expected);
  });

  it.each([
    ['database.collection5-$TODAYS_DATE.control', 'database.collection5-20210901.control'],
    ['ris-collection-$TODAYS_DATE.control', 'ris-collection-20210901.control'],
    ['no-date.control', 'no-date.control'],
  ])('control file prefix %j → %j (yyyyMMdd)', (pattern, expected) => {
    expect(expandControlFilePrefix(pattern, stamps)).toBe(expected);
  });

  it('the control-file date uses the calendar year on 30 December', () => {
    const december = dateStamps(new Date('2024-12-30T12:00:00Z'), 'UTC');
    expect(expandControlFilePrefix('c-$TODAYS_DATE.control', december)).toBe('c-20241230.control');
  });
});
