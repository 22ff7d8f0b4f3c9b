import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { mountUi } from '@verilay/web-ui';
import type { Express } from 'express';

/**
 * The operator dashboard at `/ui` (apps/verifier/ui): claims, batches and their windows,
 * disputes and their games, models, webhooks; live from `GET /v1/events`. Mounted when the
 * module starts, after the API's routes and before the not-found handler.
 */
@Injectable()
export class VerifierUi implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    mountUi(this.adapter.httpAdapter.getInstance<Express>(), { base: '/ui', pageDir: 'apps/verifier/ui' });
  }
}
