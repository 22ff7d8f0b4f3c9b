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
      details: `Make a larger one: POWER=${Math.ceil(Math.log2(constraints + 1))} npm run ptau (see docs/trusted-setup.md).`,
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
