import { randomUUID } from 'node:crypto';

// A caller's id is echoed in a response header and written to the audit
// trail, so only short, plain tokens are kept: no spaces, quotes, CR/LF or
// anything a log viewer might interpret.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `X-Request-Id` when it is sane, else a new UUID. */
export function chooseRequestId(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
