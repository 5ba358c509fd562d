/** The edge's port is taken; the CLI turns this into a message naming the variable that moves it. */
export class EdgePortInUseError extends Error {
  override readonly name = 'EdgePortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use`);
  }
}
