/** A response core decided on its own (a problem or a preflight answer), ready to write. */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body, or null for none (204, HEAD). */
  readonly body: string | null;
}
