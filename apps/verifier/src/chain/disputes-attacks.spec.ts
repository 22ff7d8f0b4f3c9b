import { readDispute, readDisputeMoves } from '@verilay/chain';
import type { DisputeEntity, DisputeRepository, Listings } from '@verilay/storage';
import { Clock } from '../clock';
import type { ChainContext } from './chain-context';
import { DisputesController } from './disputes.controller';

jest.mock('@verilay/chain', () => ({
  ...jest.requireActual('@verilay/chain'),
  readDispute: jest.fn(),
  readDisputeMoves: jest.fn(),
}));

class ManualClock extends Clock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
}

const record = (disputeId: number) =>
  ({
    disputeId,
    claimId: `0x${'1'.repeat(64)}`,
    challenger: `0x${'2'.repeat(40)}`,
    status: 'open',
    challengerWon: null,
    note: null,
    openedAt: 0,
    updatedAt: 0,
  }) as unknown as DisputeEntity;

describe(`${DisputesController.name} under a flood of reads`, () => {
  let clock: ManualClock;
  let getBlock: jest.Mock;
  let sut: DisputesController;

  beforeEach(() => {
    clock = new ManualClock();
    getBlock = jest.fn(async () => ({ timestamp: 100n }));
    jest
      .mocked(readDispute)
      .mockReset()
      .mockImplementation(
        async () =>
          ({
            phaseName: 'await-choice',
            bisection: 0,
            lo: 0n,
            hi: 8n,
            operator: `0x${'3'.repeat(40)}`,
            liable: `0x${'3'.repeat(40)}`,
            challengerClock: 600n,
            defenderClock: 600n,
            turnStartedAt: 90n,
            challengerWon: false,
          }) as never,
      );
    jest.mocked(readDisputeMoves).mockReset().mockResolvedValue([]);
    const disputes = {
      find: async (id: number) => (id < 100 ? record(id) : null),
    } as unknown as DisputeRepository;
    const chain = { sequencer: { public: { getBlock } }, deployment: {} } as unknown as ChainContext;
    sut = new DisputesController(disputes, {} as Listings, chain, clock);
  });

  it('answers a burst of reads of one dispute with one chain read (the RPC is not amplified)', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => sut.get(7)));
    for (let i = 0; i < 50; i++) answers.push(await sut.get(7));
    const json = (a: object) =>
      JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(new Set(answers.map(json)).size).toBe(1);
    expect(answers[0].game).toMatchObject({ phase: 'await-choice', onMove: 'challenger', hi: 8n });
    expect(readDispute).toHaveBeenCalledTimes(1);
    expect(readDisputeMoves).toHaveBeenCalledTimes(1);
    expect(getBlock).toHaveBeenCalledTimes(1);
  });

  it('reads the chain again once the cached view is a second old, and per dispute', async () => {
    await sut.get(7);
    await sut.get(8);
    clock.t += 999;
    await sut.get(7);
    expect(readDispute).toHaveBeenCalledTimes(2);
    clock.t += 2;
    await sut.get(7);
    expect(readDispute).toHaveBeenCalledTimes(3);
  });

  it('does not keep a failed chain read', async () => {
    jest.mocked(readDisputeMoves).mockRejectedValueOnce(new Error('rpc down'));
    await expect(sut.get(7)).rejects.toThrow('rpc down');
    await expect(sut.get(7)).resolves.toMatchObject({ disputeId: 7 });
  });

  it('never reaches the chain for a dispute it does not know', async () => {
    await expect(sut.get(123)).rejects.toMatchObject({ code: 'DISPUTE_NOT_FOUND' });
    expect(readDispute).not.toHaveBeenCalled();
  });
});
