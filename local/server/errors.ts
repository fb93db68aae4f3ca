/** A request refused before it reaches a service: its HTTP status and AWS error type (`__type`). */
export class RequestError extends Error {
  readonly status: number;
  readonly type: string;

  constructor(status: number, type: string, message: string) {
    super(message);
    this.name = type;
    this.status = status;
    this.type = type;
  }
}
