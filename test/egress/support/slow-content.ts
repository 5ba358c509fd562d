import { PassThrough } from 'node:stream';
import type { EgressCrypto } from '../../../src/egress/transfer/content-seam.ts';
import { plainContentOnly } from '../../../src/egress/transfer/content-seam.ts';

/** A promise the test opens when it is ready. */
export class Gate {
  private release!: () => void;
  readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  open(): void {
    this.release();
  }
}

/**
 * A stand-in for the crypto seam that passes content through but writes only the first chunk until
 * the gate opens — a slow transfer the test controls, without sleeping.
 */
export function gatedContent(gate: Gate): EgressCrypto {
  return {
    ...plainContentOnly,
    async transformObject(source) {
      const output = new PassThrough();
      const chunks: Buffer[] = [];
      source.body.on('data', (chunk: Buffer) => chunks.push(chunk));
      source.body.once('error', (error) => output.destroy(error));
      source.body.once('end', () => {
        const all = Buffer.concat(chunks);
        const half = Math.max(1, Math.floor(all.length / 2));
        output.write(all.subarray(0, half));
        gate.opened.then(() => output.end(all.subarray(half)));
      });
      return { body: output, metadata: {} };
    },
  };
}
