import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { type CrossingError, fromCrossingError, toCrossingError } from './crossing-errors.ts';
import type { SyncQuestion } from './protocol.ts';

/*
 * Some of the edge's methods answer synchronously (`assumedRoles()`, `s3Storage()`), and callers
 * read them right after a request returned: a copy kept up to date by messages could lag behind.
 * So the main thread asks the worker and blocks until it answers: the question goes over a
 * MessagePort, the worker answers on the same port and then flips a shared word the main thread
 * waits on (Atomics.wait), and the answer is taken off the port with receiveMessageOnPort. The
 * worker answers between two of its own event-loop turns, so a wait lasts at most one turn.
 */

interface SyncRequest {
  readonly id: number;
  readonly question: SyncQuestion;
}

interface SyncReply {
  readonly id: number;
  readonly value?: unknown;
  readonly error?: CrossingError;
}

/** The main thread's end: asks a question and blocks for its answer. */
export class SyncAsker {
  private readonly signal: Int32Array;
  private lastId = 0;

  constructor(
    private readonly port: MessagePort,
    buffer: SharedArrayBuffer,
    private readonly timeoutMs: number,
  ) {
    this.signal = new Int32Array(buffer);
  }

  /** The worker's answer; throws the worker's error, or when no answer comes within the timeout. */
  ask(question: SyncQuestion): unknown {
    const id = ++this.lastId;
    const deadline = Date.now() + this.timeoutMs;
    this.port.postMessage({ id, question } satisfies SyncRequest);
    for (;;) {
      // Reset before looking, so that an answer posted after the look still wakes the wait.
      Atomics.store(this.signal, 0, 0);
      const reply = receiveMessageOnPort(this.port)?.message as SyncReply | undefined;
      if (reply) {
        // An answer to an earlier question that timed out: not this one's.
        if (reply.id !== id) continue;
        if (reply.error) throw fromCrossingError(reply.error);
        return reply.value;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`the edge's thread did not answer ${question}() within ${this.timeoutMs} ms`);
      }
      Atomics.wait(this.signal, 0, 0, left);
    }
  }

  close(): void {
    this.port.close();
  }
}

/** The worker's end: answers each question with `answer`, then wakes the waiting main thread. */
export function answerSyncQuestions(
  port: MessagePort,
  buffer: SharedArrayBuffer,
  answer: (question: SyncQuestion) => unknown,
): void {
  const signal = new Int32Array(buffer);
  port.on('message', ({ id, question }: SyncRequest) => {
    let reply: SyncReply;
    try {
      reply = { id, value: answer(question) };
    } catch (error) {
      reply = { id, error: toCrossingError(error) };
    }
    port.postMessage(reply);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
  // Questions alone do not keep the worker alive: the edge's control port does, until it stops.
  port.unref();
}
