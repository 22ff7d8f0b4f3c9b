import { ContractRevertError } from '@verilay/chain';

/** Asserts that `call` reverts with the custom error `errorName` (decoded from the chain). */
export async function expectRevert(call: Promise<unknown>, errorName: string): Promise<ContractRevertError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ContractRevertError);
  expect((error as ContractRevertError).errorName).toBe(errorName);
  return error as ContractRevertError;
}
