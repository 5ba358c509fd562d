import { startTestKit, type TestKit, uniqueName } from '../../src/testing/index.ts';
import { type EdgeProcess, startEdgeProcess } from './processes.ts';

/** An edge in its own process, with a source and a destination bucket, a routing table and a queue. */
export interface CopyWorld {
  edge: EdgeProcess;
  /** The test kit on that edge: clients, uploads, rules, flags. */
  kit: TestKit;
  source: string;
  destination: string;
  table: string;
  queueUrl: string;
  close(): Promise<void>;
}

/** Sets up the resources most benchmarks start from; names are unique and start with `prefix`. */
export async function startCopyWorld(prefix: string): Promise<CopyWorld> {
  const edge = await startEdgeProcess();
  const kit = await startTestKit({ target: { ...edge.target, endpoint: edge.endpoint } });
  const close = async () => {
    await kit.stop();
    await edge.stop();
  };
  try {
    const source = uniqueName(`${prefix}-src`);
    const destination = uniqueName(`${prefix}-dst`);
    const table = uniqueName(`${prefix}-rules`);
    await kit.createBuckets(source, destination);
    await kit.createTable(table);
    const queueUrl = await kit.createQueue(uniqueName(`${prefix}-queue`));
    return { edge, kit, source, destination, table, queueUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}
