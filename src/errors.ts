export class WgcamError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'WgcamError';
    this.code = code;
  }
}
