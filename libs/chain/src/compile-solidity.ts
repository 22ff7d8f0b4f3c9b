import { BaseError } from '@verilay/errors';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Compiler settings of verilay's contracts; changing them changes every bytecode (and gas figure).
 * The IR pipeline is needed (VerilayClaims.openDispute is stack-deep) and also yields less gas.
 */
export const SOLC_SETTINGS = {
  viaIR: true,
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
} as const;

/** snarkjs' verifiers are hand-written assembly: the legacy pipeline compiles them 10x faster. */
export const VERIFIER_SOLC_SETTINGS = {
  viaIR: false,
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
} as const;

export interface CompiledContract {
  readonly abi: readonly unknown[];
  readonly bytecode: `0x${string}`;
  /** The runtime code a deployment leaves at its address (what `eth_getCode` returns). */
  readonly deployedBytecode: `0x${string}`;
  readonly deployedSize: number;
}

export class SolidityCompileError extends BaseError {
  readonly code = 'SOLIDITY_COMPILE_FAILED';
  constructor(messages: readonly string[]) {
    super('solc rejected the sources', { details: messages.join('\n') });
  }
}

/** solc-js is a large WebAssembly module: loaded on first use, not by everyone importing this lib. */
function solc(): typeof import('solc').default {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('solc');
}

export function solcVersion(): string {
  return solc().version();
}

/**
 * Compiles Solidity sources with solc-js (standard JSON). `sources` maps source names to their
 * text; imports resolve against `importRoots` (e.g. the contracts folder and node_modules).
 * Returns every contract by name ("Name" or "path:Name" when a name repeats).
 */
export function compileSolidity(
  sources: Readonly<Record<string, string>>,
  importRoots: readonly string[] = [],
  settings: typeof SOLC_SETTINGS | typeof VERIFIER_SOLC_SETTINGS = SOLC_SETTINGS,
): Record<string, CompiledContract> {
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: {
      ...settings,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const findImport = (path: string) => {
    for (const root of importRoots) {
      const file = resolve(root, path);
      if (existsSync(file)) return { contents: readFileSync(file, 'utf8') };
    }
    return { error: `not found under ${importRoots.join(', ')}: ${path}` };
  };
  const output = JSON.parse(solc().compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new SolidityCompileError(errors.map((e) => e.formattedMessage));
  const byName: Record<string, CompiledContract> = {};
  const seen = new Map<string, number>();
  for (const file of Object.values(output.contracts ?? {}))
    for (const name of Object.keys(file)) seen.set(name, (seen.get(name) ?? 0) + 1);
  for (const [path, file] of Object.entries(output.contracts ?? {}))
    for (const [name, contract] of Object.entries(file)) {
      const key = (seen.get(name) ?? 0) > 1 ? `${path}:${name}` : name;
      byName[key] = {
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
        deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
        deployedSize: contract.evm.deployedBytecode.object.length / 2,
      };
    }
  return byName;
}

/** Compiles the Groth16 verifier snarkjs generated for one circuit (its ABI is `groth16VerifierAbi`). */
export function compileGroth16Verifier(source: string): `0x${string}` {
  return compileGroth16VerifierContract(source).bytecode;
}

/**
 * The Groth16 verifier compiled with the project's pinned solc and settings: the same source
 * gives the same runtime code on every machine (the check of a proving key against the chain).
 */
export function compileGroth16VerifierContract(source: string): CompiledContract {
  return compileSolidity({ 'Groth16Verifier.sol': source }, [], VERIFIER_SOLC_SETTINGS)['Groth16Verifier'];
}

/** The folder holding verilay's Solidity sources (contracts/src), found from this file upward. */
export function contractsDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'contracts', 'src'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('contracts/src not found above ' + __dirname);
    dir = parent;
  }
  return join(dir, 'contracts');
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
    >
  >;
}
