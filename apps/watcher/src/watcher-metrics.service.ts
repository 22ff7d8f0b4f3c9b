import { Injectable } from '@nestjs/common';
import { ExecutorMetrics } from '@verilay/workers';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** Prometheus metrics of one watcher. */
@Injectable()
export class WatcherMetrics {
  readonly registry = new Registry();
  readonly claimsChecked = new Counter({
    name: 'verilay_watcher_claims_checked_total',
    help: 'Claims checked, by verdict (correct, wrong, bad-data, no-data, skipped, unregistered, too-costly)',
    labelNames: ['verdict'],
    registers: [this.registry],
  });
  readonly unusableAnswers = new Counter({
    name: 'verilay_watcher_unusable_answers_total',
    help: 'Answers of the verifier the watcher could not use, looked at again until the chain settles the posting (batch: not matching the root; no-data, bad-data: a claim input or model)',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly disputes = new Counter({
    name: 'verilay_watcher_disputes_total',
    help: 'Disputes opened, won and lost by this watcher',
    labelNames: ['event'],
    registers: [this.registry],
  });
  readonly replaysAbandoned = new Counter({
    name: 'verilay_watcher_replays_abandoned_total',
    help: 'Replays abandoned past the time budget or refused past the compute budget (never disputed)',
    registers: [this.registry],
  });
  readonly wrongPostings = new Counter({
    name: 'verilay_watcher_wrong_postings_total',
    help: 'Postings of wrong claims settled on chain, by outcome (slashed; final or validated: a lie got through)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly lagBlocks = new Gauge({
    name: 'verilay_watcher_lag_blocks',
    help: 'Blocks between the chain head and the last block processed',
    registers: [this.registry],
  });
  readonly reorgs = new Counter({
    name: 'verilay_watcher_reorgs_total',
    help: 'Reorgs noticed (processed blocks replaced on chain)',
    registers: [this.registry],
  });

  /** The replay executors of the checks and the disputes, updated at each scrape. */
  readonly executors = new ExecutorMetrics(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'verilay_watcher_' });
  }
}
