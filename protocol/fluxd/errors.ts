/** Where and why a received frame could not be decoded; every field is in the message. */
export interface FrameDecodeErrorDetails {
  /** ZMQ topic whose body was being decoded, or `zmq message` for envelope errors. */
  topic: string;
  /** Dotted path of the field, e.g. `added[0].ip`. */
  field: string;
  /** Byte offset where the field starts within the frame. */
  offset: number;
  expected: string;
  got: string;
}

export class FrameDecodeError extends Error {
  readonly topic: string;
  readonly field: string;
  readonly offset: number;
  readonly expected: string;
  readonly got: string;

  constructor(details: FrameDecodeErrorDetails) {
    super(
      `${details.topic}: field ${details.field} at offset ${details.offset}: expected ${details.expected}, got ${details.got}`,
    );
    this.name = 'FrameDecodeError';
    this.topic = details.topic;
    this.field = details.field;
    this.offset = details.offset;
    this.expected = details.expected;
    this.got = details.got;
  }
}

/** A value handed to an encoder that cannot be put on the wire as fluxd would. */
export interface FrameEncodeErrorDetails {
  topic: string;
  field: string;
  expected: string;
  got: string;
}

export class FrameEncodeError extends Error {
  readonly topic: string;
  readonly field: string;
  readonly expected: string;
  readonly got: string;

  constructor(details: FrameEncodeErrorDetails) {
    super(`${details.topic}: cannot encode field ${details.field}: expected ${details.expected}, got ${details.got}`);
    this.name = 'FrameEncodeError';
    this.topic = details.topic;
    this.field = details.field;
    this.expected = details.expected;
    this.got = details.got;
  }
}
