import type { Readable } from 'node:stream';
import { deny } from '../denial';

/**
 * Reads a Node request stream into one buffer, refusing it with a
 * `payload_too_large` denial as soon as it is known to exceed `maxBytes`:
 * from `Content-Length` before reading anything, else the moment the
 * received bytes pass the limit (the rest is never buffered). Rejects with
 * `body_malformed` when the client aborts or sends less than it announced.
 */
export function readNodeBody(stream: Readable & { headers?: Record<string, string | string[] | undefined> }, maxBytes: number): Promise<Buffer> {
  const declared = stream.headers?.['content-length'];
  if (typeof declared === 'string' && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    stream.resume();
    return Promise.reject(deny('payload_too_large', { privateDetail: `Content-Length ${declared} > ${maxBytes}` }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (error: unknown, body?: Buffer) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onAborted);
      if (error !== undefined) {
        // Drain without buffering so the connection can carry the answer.
        stream.resume();
        reject(error);
      } else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return finish(deny('payload_too_large', { privateDetail: `body passed ${maxBytes} bytes` }));
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    const onError = (error: unknown) => finish(deny('body_malformed', { cause: error, privateDetail: 'request stream failed' }));
    const onAborted = () => finish(deny('body_malformed', { privateDetail: 'client aborted the body' }));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onAborted);
  });
}
