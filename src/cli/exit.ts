/** An error that ends ptx with this exit code and this message on stderr (one line or a few, never a trace). */
export class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
