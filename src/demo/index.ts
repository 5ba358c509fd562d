export {
  type DemoDelivery,
  DemoError,
  type DemoOptions,
  type DemoResult,
  formatSummary,
  runDemo,
} from './demo.ts';
export { type ExpectedDelivery, expectedDeliveries, NoRouteError } from './expectations.ts';
export { largeSampleBody, type Published, type Publisher, publishFlag, publishObject } from './publish.ts';
export { LARGE_SAMPLE_BYTES, type SampleObject, type SamplePipeline, samplePipelines } from './samples.ts';
export { formatTraceEntry, tracePrinter } from './trace-format.ts';
