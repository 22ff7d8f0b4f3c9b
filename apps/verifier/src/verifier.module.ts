import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createTensorCommitter } from '@verilay/commitments';
import {
  ClaimRepository,
  DisputeRepository,
  EventRepository,
  Listings,
  MetaRepository,
  ModelRepository,
  ProofJobRepository,
  openDataSource,
  verifierDataSourceOptions,
  WebhookRepository,
} from '@verilay/storage';
import { createReplayExecutor } from '@verilay/queue';
import { ReplayQueue } from '@verilay/workers';
import { DataSource } from 'typeorm';
import { BatchingService } from './batching/batching.service';
import { BatchesController } from './chain/batches.controller';
import { ChainController } from './chain/chain.controller';
import { DisputesController } from './chain/disputes.controller';
import { ChainContext } from './chain/chain-context';
import { ChainSequencerService } from './chain/chain-sequencer.service';
import { DisputeDefender } from './chain/dispute-defender.service';
import { StepRegistrar } from './chain/step-registrar.service';
import { ClaimsController } from './claims/claims.controller';
import { createLeadership, Leadership } from './cluster/leadership';
import { ClaimSignerRecovery } from './claims/claim-signer-recovery';
import { ClaimsService, TENSOR_COMMITTER } from './claims/claims.service';
import { createClaimSignerRecovery } from './claims/create-claim-signer-recovery';
import { IntakeThreads } from './claims/intake-threads';
import { Clock, SystemClock } from './clock';
import { VerifierConfig } from './config/verifier.config';
import { EventFeed } from './events/event-feed.service';
import { EventsController } from './events/events.controller';
import { HealthController } from './health/health.controller';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { ApiKeyGuard } from './http/api-key.guard';
import { throttlers } from './http/rate-limits';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { KeysController } from './keys/keys.controller';
import { ListingsController } from './listings/listings.controller';
import { KeysService } from './keys/keys.service';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { ProofsController } from './proofs/proofs.controller';
import { ProofsService } from './proofs/proofs.service';
import { TasksController } from './tasks/tasks.controller';
import { VerifierUi } from './ui/verifier-ui';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.service';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

/** A storage repository built on the module's DataSource. */
const repository = <T>(type: new (db: DataSource) => T): Provider => ({
  provide: type,
  useFactory: (db: DataSource) => new type(db),
  inject: [DataSource],
});

@Module({})
export class VerifierModule {
  /** The whole verifier, wired from a validated config (see loadVerifierConfig). */
  static forRoot(
    config: VerifierConfig,
    clock: Clock = new SystemClock(),
    chain: ChainContext | null = null,
  ): DynamicModule {
    const onChain = chain
      ? [
          { provide: ChainContext, useValue: chain },
          repository(DisputeRepository),
          // One replay thread: disputes are rare, and the verifier's cores serve intake. With
          // VERILAY_REDIS_URL they go to `verilay worker` processes instead.
          {
            provide: ReplayQueue,
            useFactory: () =>
              new ReplayQueue(
                createReplayExecutor({ redisUrl: config.redisUrl, threads: 1, executor: config.executor }),
              ),
          },
          DisputeDefender,
          ChainSequencerService,
          StepRegistrar,
        ]
      : [];
    return {
      module: VerifierModule,
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ verifier: config })] }),
        TypeOrmModule.forRootAsync({
          useFactory: () => verifierDataSourceOptions(config.databaseUrl ?? config.dbPath),
          // Replicas starting together on one Postgres database migrate in turn.
          dataSourceFactory: (options) => openDataSource(options!),
        }),
        TerminusModule,
        ThrottlerModule.forRoot(throttlers(config)),
      ],
      controllers: [
        ModelsController,
        KeysController,
        ClaimsController,
        TasksController,
        ProofsController,
        HealthController,
        MetricsController,
        EventsController,
        WebhooksController,
        ListingsController,
        ...(chain ? [ChainController, BatchesController, DisputesController] : []),
      ],
      providers: [
        { provide: VerifierConfig, useValue: config },
        { provide: Clock, useValue: clock },
        // Started before the services that ask it (a factory's promise resolves first).
        {
          provide: Leadership,
          useFactory: async (metrics: MetricsService) => {
            const leadership = await createLeadership(config);
            const show = () =>
              metrics.leader.set({ replica: leadership.replicaId }, leadership.isLeader ? 1 : 0);
            show();
            leadership.onChange(show);
            return leadership;
          },
          inject: [MetricsService],
        },
        repository(ClaimRepository),
        repository(ModelRepository),
        repository(MetaRepository),
        repository(ProofJobRepository),
        repository(EventRepository),
        repository(WebhookRepository),
        repository(Listings),
        { provide: TENSOR_COMMITTER, useFactory: createTensorCommitter },
        { provide: IntakeThreads, useFactory: () => IntakeThreads.shared() },
        { provide: ClaimSignerRecovery, useFactory: () => createClaimSignerRecovery() },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        // Rate limits first, so guessing keys is limited too.
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        MetricsService,
        ModelsService,
        KeysService,
        ClaimsService,
        BatchingService,
        ProofsService,
        EventFeed,
        WebhooksService,
        WebhookDispatcher,
        VerifierUi,
        ...onChain,
      ],
    };
  }
}
