import { BaseError } from '@verilay/errors';

/** circom refused a generated circuit (a bug in the generator or the templates). */
export class CircuitCompileError extends BaseError {
  readonly code = 'CIRCUIT_COMPILE_FAILED';
  constructor(name: string, output: string) {
    super(`circom could not compile ${name}`, { details: output.slice(-4000) });
  }
}

/** The witness calculator rejected the input: the values break a constraint of the circuit. */
export class WitnessError extends BaseError {
  readonly code = 'WITNESS_FAILED';
  constructor(message: string, cause?: unknown) {
    super(`No witness: ${message}`, { cause });
  }
}

/** A circuit needs a larger powers-of-tau file than the one available. */
export class CeremonyTooSmallError extends BaseError {
  readonly code = 'CEREMONY_TOO_SMALL';
  constructor(constraints: number, power: number, about = '') {
    super(`The circuit has ${about}${constraints} constraints; the powers of tau supports 2^${power}`, {
      details: `Make a larger one: verilay ptau --power ${Math.ceil(Math.log2(constraints + 4))} (see docs/trusted-setup.md).`,
    });
  }
}

/** The Groth16 phase-2 setup failed (snarkjs refused a step). */
export class SetupFailedError extends BaseError {
  readonly code = 'SETUP_FAILED';
  constructor(message: string) {
    super(message);
  }
}

/**
 * A circuit needs a development powers of tau larger than the committed 2^14, and the native core
 * that writes one (native/crates/ceremony) is off or not built.
 */
export class PtauUnavailableError extends BaseError {
  readonly code = 'PTAU_UNAVAILABLE';
  constructor(power: number, reason: string) {
    super(
      `A 2^${power} development powers of tau is needed, and only the native core writes one: ${reason}`,
      {
        details:
          'Build the native core (`npm run build` with cargo) and let VERILAY_NATIVE be auto or on, or run `verilay ptau --power ' +
          `${power}\` on a machine that has it and copy the file to circuits/ptau (docs/trusted-setup.md).`,
        meta: { power },
      },
    );
  }
}

/** A development powers of tau whose sha256 is not the committed one (a corrupt or foreign file). */
export class PtauMismatchError extends BaseError {
  readonly code = 'PTAU_MISMATCH';
  constructor(path: string, expected: string, actual: string) {
    super(`${path} has sha256 ${actual}, not the committed ${expected}`, {
      details: 'Delete it: it is written again from the development beacon on the next build.',
      meta: { path, expected, actual },
    });
  }
}
