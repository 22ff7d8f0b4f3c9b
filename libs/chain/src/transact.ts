import { BaseError } from '@verilay/errors';
import {
  BaseError as ViemBaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Abi,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hash,
  type TransactionReceipt,
} from 'viem';
import type { ChainClients } from './chain-clients';
import { modelRegistryAbi, verilayClaimsAbi } from './generated/contracts';

/** Every custom error verilay's contracts can raise, for reverts that bubble up through another contract. */
const VERILAY_ERRORS = [...verilayClaimsAbi, ...modelRegistryAbi].filter((item) => item.type === 'error');

/** A contract call reverted; `errorName` and `args` are the decoded custom error. */
export class ContractRevertError extends BaseError {
  readonly code = 'CONTRACT_REVERTED';
  constructor(
    readonly functionName: string,
    readonly errorName: string,
    readonly args: readonly unknown[],
    cause: unknown,
  ) {
    super(`${functionName} reverted: ${errorName}(${args.map(String).join(', ')})`, {
      cause,
      meta: { functionName, errorName },
    });
  }
}

/** A mined transaction of verilay: its hash, receipt and gas. */
export interface Mined<T = undefined> {
  readonly hash: Hash;
  readonly receipt: TransactionReceipt;
  readonly gasUsed: bigint;
  /** The value the function returned in the simulation that preceded sending it. */
  readonly result: T;
}

export interface TransactOptions {
  readonly value?: bigint;
  /** Gas limit; default: the estimate plus 25% (the Groth16 wrapper reverts on false, so estimates are sound). */
  readonly gas?: bigint;
  /**
   * The nonce to send with; default: the account's next. A caller that has seen this nonce free
   * pins it, so that two senders of one key (a leader and a stale one) cannot both get mined.
   */
  readonly nonce?: number;
  /** Asked right before signing; false: nothing is sent and NotSentError is thrown. */
  readonly beforeSend?: () => boolean;
}

/** `beforeSend` said no: the transaction was not signed or sent. */
export class NotSentError extends Error {
  constructor(functionName: string) {
    super(`${functionName} not sent: the caller withdrew before signing`);
    this.name = 'NotSentError';
  }
}

/**
 * Simulates a contract write (so a revert comes back as its decoded custom error), sends it, and
 * waits for its receipt. Throws `ContractRevertError` for a revert.
 */
export async function transact<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, 'payable' | 'nonpayable'>,
  args extends ContractFunctionArgs<abi, 'payable' | 'nonpayable', functionName>,
>(
  clients: ChainClients,
  call: { address: `0x${string}`; abi: abi; functionName: functionName; args: args },
  options: TransactOptions = {},
): Promise<Mined<unknown>> {
  const request = {
    address: call.address,
    abi: call.abi as Abi,
    functionName: call.functionName as string,
    args: call.args as readonly unknown[],
    account: clients.account,
    value: options.value,
  };
  let result: unknown;
  let gas = options.gas;
  try {
    ({ result } = await clients.public.simulateContract(request));
    if (gas === undefined) gas = ((await clients.public.estimateContractGas(request)) * 5n) / 4n;
  } catch (error) {
    throw decodeRevert(call.functionName as string, error);
  }
  if (options.beforeSend && !options.beforeSend()) throw new NotSentError(call.functionName as string);
  const hash = await clients.wallet.writeContract({
    ...request,
    chain: clients.chain,
    gas,
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
  });
  const receipt = await clients.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== 'success')
    throw new ContractRevertError(call.functionName as string, 'Reverted', [hash], undefined);
  return { hash, receipt, gasUsed: receipt.gasUsed, result };
}

/** The decoded custom error of a failed call, or the error itself when it is not a revert. */
export function decodeRevert(functionName: string, error: unknown): unknown {
  if (error instanceof ViemBaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const decoded = revert.data ?? decodeVerilayError(revert.raw);
      return new ContractRevertError(
        functionName,
        decoded?.errorName ?? revert.reason ?? 'Reverted',
        (decoded?.args as readonly unknown[] | undefined) ?? [],
        error,
      );
    }
  }
  return error;
}

function decodeVerilayError(raw: `0x${string}` | undefined) {
  if (!raw || raw.length < 10) return undefined;
  try {
    return decodeErrorResult({ abi: VERILAY_ERRORS, data: raw });
  } catch {
    return undefined;
  }
}
