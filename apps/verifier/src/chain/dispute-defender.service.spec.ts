import { Logger } from '@nestjs/common';
import { readDispute, revealMidpoint } from '@verilay/chain';
import { computeModelId, encodeModel, randomInput, randomModel } from '@verilay/inference';
import type { ClaimRepository, DisputeRepository } from '@verilay/storage';
import {
  InlineExecutor,
  ReplayExecutor,
  ReplayQueue,
  type ExecutorDescription,
  ReplayRejectedError,
  type ReplayJob,
  type ReplayResult,
} from '@verilay/workers';
import { SystemClock } from '../clock';
import type { VerifierConfig } from '../config/verifier.config';
import type { MetricsService } from '../metrics/metrics.service';
import type { ModelsService } from '../models/models.service';
import type { ChainContext } from './chain-context';
import { DisputeDefender } from './dispute-defender.service';

jest.mock('@verilay/chain', () => ({
  ...jest.requireActual('@verilay/chain'),
  readDispute: jest.fn(),
  revealMidpoint: jest.fn(),
}));

const FORGED = `0x${'0f'.repeat(32)}` as const;

/**
 * A `verilay worker` on someone else's machine (or a Redis writer) that forges one field, or a
 * GPU whose driver miscompiles a kernel (a faulty GPU cannot run here: this stands for one).
 */
class LyingExecutor extends ReplayExecutor {
  readonly concurrency = 1;
  constructor(
    private readonly inner: ReplayExecutor,
    private readonly field:
      'inputCommitment' | 'outputCommitment' | 'traceRoot' | 'traceCommitments' | 'failure',
    private readonly kind: 'remote' | 'gpu',
  ) {
    super();
  }
  override describe(): ExecutorDescription {
    return { ...super.describe(), kind: this.kind };
  }
  async execute(job: ReplayJob): Promise<ReplayResult> {
    // A failure stored for good under the job's id: every later submission gets it again.
    if (this.field === 'failure') throw new ReplayRejectedError(job.id, 'forged');
    const truth = await this.inner.execute(job);
    // The commitments the moves reveal, forged under the true root.
    if (this.field === 'traceCommitments')
      return { ...truth, traceCommitments: truth.traceCommitments.map((h, i) => (i === 0 ? h : FORGED)) };
    return { ...truth, [this.field]: FORGED };
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe(DisputeDefender.name, () => {
  const model = randomModel({ seed: 12, kind: 'mlp', sizes: [6, 5, 3] });
  const input = Array.from(randomInput(model, 1));
  const inline = new InlineExecutor();
  let truth: ReplayResult;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    truth = await inline.execute({
      id: 'truth',
      modelId: computeModelId(model),
      modelBytes: `0x${Buffer.from(encodeModel(model)).toString('hex')}`,
      input,
      salt: '0x5',
    });
  }, 60_000);

  describe('defendAll', () => {
    it.each(
      (['remote', 'gpu'] as const).flatMap((kind) =>
        (['inputCommitment', 'outputCommitment', 'traceRoot', 'traceCommitments', 'failure'] as const).map(
          (field) => [kind, field] as const,
        ),
      ),
    )(
      'defends an honest claim when a %s replay gets its %s wrong (never conceded, nor blocked, on its word)',
      async (kind, field) => {
        const claimId = `0x${'c1'.repeat(32)}`;
        const hi = truth.traceCommitments.length - 1;
        jest
          .mocked(readDispute)
          .mockReset()
          .mockResolvedValue({ phaseName: 'await-reveal', lo: 0, hi } as never);
        jest
          .mocked(revealMidpoint)
          .mockReset()
          .mockResolvedValue({ hash: '0xaa', gasUsed: 1n } as never);
        const claim = {
          claimId,
          modelId: computeModelId(model),
          inputCommitment: truth.inputCommitment,
          outputCommitment: truth.outputCommitment,
          traceRoot: truth.traceRoot,
        };
        const setStatus = jest.fn();
        const failures = jest.fn();
        const sut = new DisputeDefender(
          { sequencer: {}, deployment: {}, leafValidated: async () => false } as unknown as ChainContext,
          {
            find: async () => ({ claim }),
            findTaskInput: async () => ({ data: JSON.stringify(input), salt: '0x5' }),
          } as unknown as ClaimRepository,
          { open: async () => [{ disputeId: 3, claimId }], setStatus } as unknown as DisputeRepository,
          { find: async () => model } as unknown as ModelsService,
          new ReplayQueue(new LyingExecutor(inline, field, kind)),
          new SystemClock(),
          (kind === 'remote' ? { redisUrl: 'redis://127.0.0.1:1' } : { executor: 'gpu' }) as VerifierConfig,
          {
            chainGasUsed: { inc: () => undefined },
            defenceFailures: { inc: failures },
            disputes: { inc: () => undefined },
          } as unknown as MetricsService,
        );
        try {
          await sut.defendAll();
        } finally {
          await sut.onApplicationShutdown();
        }
        expect(setStatus).not.toHaveBeenCalled();
        expect(failures).not.toHaveBeenCalled();
        const mid = Math.floor(hi / 2);
        expect(revealMidpoint).toHaveBeenCalledWith(
          {},
          {},
          3n,
          truth.traceCommitments[mid],
          expect.any(Array),
        );
      },
      60_000,
    );
  });
});
