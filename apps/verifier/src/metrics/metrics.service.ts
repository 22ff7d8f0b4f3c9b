import { Injectable } from '@nestjs/common';
import { ExecutorMetrics } from '@verilay/workers';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one verifier instance (its own registry: several apps can share a process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly claimsSubmitted = new Counter({
    name: 'verilay_claims_submitted_total',
    help: 'Claims accepted and durably stored',
    registers: [this.registry],
  });
  readonly rejections = new Counter({
    name: 'verilay_api_errors_total',
    help: 'API error answers, by machine-readable code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly batchesPosted = new Counter({
    name: 'verilay_batches_posted_total',
    help: 'Batches of claims posted (challenge window opened)',
    registers: [this.registry],
  });
  readonly claimsFinalized = new Counter({
    name: 'verilay_claims_finalized_total',
    help: 'Claims made final after an unchallenged window',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'verilay_verifier_leader',
    help: '1 while this replica is the leader (batches, posts, defends, proves, sends webhooks), else 0',
    labelNames: ['replica'],
    registers: [this.registry],
  });
  readonly claimsByStatus = new Gauge({
    name: 'verilay_claims',
    help: 'Stored claims by status (read from the database at scrape time)',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly chainBatchesPosted = new Counter({
    name: 'verilay_chain_batches_posted_total',
    help: 'Batches posted to the claim contract',
    registers: [this.registry],
  });
  readonly chainGasUsed = new Counter({
    name: 'verilay_chain_gas_used_total',
    help: 'Gas of mined verifier transactions, by action',
    labelNames: ['action'],
    registers: [this.registry],
  });
  readonly disputes = new Counter({
    name: 'verilay_disputes_total',
    help: 'Disputes against our claims: opened, conceded (replay says the claim is false), won, lost',
    labelNames: ['event'],
    registers: [this.registry],
  });
  readonly disputeTimeouts = new Counter({
    name: 'verilay_dispute_timeouts_total',
    help: 'Disputes over our leaves ended by our timeout call: challenger-clock (it stopped moving), leaf-validated (proven valid)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly claimsHeld = new Counter({
    name: 'verilay_claims_held_total',
    help: 'Claims kept out of batches by the posting policy (no task input, model not on chain, bond short)',
    registers: [this.registry],
  });
  readonly defenceFailures = new Counter({
    name: 'verilay_defence_failures_total',
    help: 'Defence moves that failed for an operational reason and are retried (alert on any increase)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'verilay_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  /** The dispute defender's replay executor (GPU or CPU, adapter, fallbacks), updated at each scrape. */
  readonly executors = new ExecutorMetrics(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'verilay_verifier_' });
  }
}
