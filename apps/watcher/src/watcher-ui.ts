import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { mountUi } from '@verilay/web-ui';
import type { Express } from 'express';

/**
 * The watcher's page at `/ui` (apps/watcher/ui): how far it has read the chain, the batches it
 * checked, the disputes it plays and its bond budget, polled from `GET /v1/status` (the watcher
 * has no event stream).
 */
@Injectable()
export class WatcherUi implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    mountUi(this.adapter.httpAdapter.getInstance<Express>(), { base: '/ui', pageDir: 'apps/watcher/ui' });
  }
}
