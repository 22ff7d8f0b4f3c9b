import {
  BadRequestException,
  Controller,
  Get,
  Headers,
  Query,
  Req,
  Res,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { BaseError } from '@verilay/errors';
import {
  EVENT_TYPES,
  EventRepository,
  eventMatches,
  type EventEntity,
  type EventFilter,
  type EventType,
} from '@verilay/storage';
import type { Request, Response } from 'express';
import { VerifierConfig } from '../config/verifier.config';
import { EventFeed } from './event-feed.service';
import { eventView } from './event-view';

export class EventStreamsBusyError extends BaseError {
  readonly code = 'EVENT_STREAMS_BUSY';
}

/** A reader that lets this much pile up unread is cut off (it resumes with Last-Event-ID). */
const MAX_UNREAD_BYTES = 1 << 20;
const HEARTBEAT_MS = 15_000;
const PAGE = 500;

function parseCursor(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw))
    throw new BadRequestException({
      code: 'VALIDATION_FAILED',
      message: `${name} must be an event id (a non-negative integer)`,
    });
  return Number(raw);
}

function parseFilter(types?: string, operator?: string, modelId?: string): EventFilter {
  const list = types ? types.split(',').map((t) => t.trim()) : undefined;
  const unknown = list?.find((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown)
    throw new BadRequestException({
      code: 'VALIDATION_FAILED',
      message: `types: ${unknown} is not one of ${EVENT_TYPES.join(', ')}`,
    });
  if (operator && !/^0x[0-9a-fA-F]{40}$/.test(operator))
    throw new BadRequestException({
      code: 'VALIDATION_FAILED',
      message: 'operator must be a 0x-hex address',
    });
  if (modelId && !/^0x[0-9a-fA-F]{64}$/.test(modelId))
    throw new BadRequestException({
      code: 'VALIDATION_FAILED',
      message: 'modelId must be 32 bytes of 0x-hex',
    });
  return {
    types: list as EventType[] | undefined,
    operator: operator?.toLowerCase(),
    modelId: modelId?.toLowerCase(),
  };
}

@ApiTags('events')
@Controller('v1/events')
export class EventsController implements BeforeApplicationShutdown {
  private open = 0;
  /** Open streams per client address. */
  private readonly openBy = new Map<string, number>();
  private readonly closers = new Set<() => void>();

  constructor(
    private readonly events: EventRepository,
    private readonly feed: EventFeed,
    private readonly config: VerifierConfig,
  ) {}

  /** Ends every open stream, so shutdown does not wait for readers (they reconnect elsewhere). */
  beforeApplicationShutdown(): void {
    for (const close of [...this.closers]) close();
  }

  @Get()
  @ApiOperation({
    summary:
      'Server-Sent Events of claims (claim.posted, .challenged, .final, .slashed, .proven), in outbox order; resume with Last-Event-ID (or ?after=), from the start with ?after=0',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiQuery({ name: 'after', required: false, description: 'Start after this event id (default: now)' })
  @ApiQuery({ name: 'types', required: false, description: 'Comma-separated event types' })
  @ApiQuery({ name: 'operator', required: false })
  @ApiQuery({ name: 'modelId', required: false })
  @ApiOkResponse({
    description: 'An endless text/event-stream; `id:` is the event id, `event:` its type, `data:` its JSON',
  })
  @ApiServiceUnavailableResponse({
    description: 'EVENT_STREAMS_BUSY: VERIFIER_EVENT_STREAMS_MAX streams are open',
  })
  async stream(
    @Req() req: Request,
    @Res() res: Response,
    @Headers('last-event-id') lastEventId?: string,
    @Query('after') after?: string,
    @Query('types') types?: string,
    @Query('operator') operator?: string,
    @Query('modelId') modelId?: string,
  ): Promise<void> {
    const filter = parseFilter(types, operator, modelId);
    const resume = parseCursor(lastEventId, 'Last-Event-ID') ?? parseCursor(after, 'after');
    const { maxStreams, maxStreamsPerClient } = this.config.webhooks;
    if (this.open >= maxStreams)
      throw new EventStreamsBusyError(`${this.open} event streams are open, the most this verifier serves`);
    const client = req.socket.remoteAddress ?? '';
    const mine = this.openBy.get(client) ?? 0;
    if (mine >= maxStreamsPerClient)
      throw new EventStreamsBusyError(
        `${mine} event streams are open from your address, the most one client may hold (VERIFIER_EVENT_STREAMS_PER_CLIENT)`,
      );
    this.open++;
    this.openBy.set(client, mine + 1);
    let cursor = resume ?? this.feed.position;
    let live = false;
    let closed = false;
    // Set when the feed hands events over while the backlog is read: that read may have missed
    // them, so it is made again. Nothing is buffered: a reader stuck in its backlog (a drain that
    // never comes) holds no live events, however many are written meanwhile.
    let handedDuringRead = false;
    const write = (event: EventEntity): void => {
      if (closed || event.id <= cursor || !eventMatches(event, filter)) return;
      cursor = event.id;
      const view = eventView(event);
      res.write(`id: ${view.id}\nevent: ${view.type}\ndata: ${JSON.stringify(view)}\n\n`);
      if (res.writableLength > MAX_UNREAD_BYTES) close();
    };
    // Listening first: an event the backlog read misses is one the feed hands over during it.
    const unlisten = this.feed.listen((page) => (live ? page.forEach(write) : (handedDuringRead = true)));
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    const close = () => {
      if (closed) return;
      closed = true;
      this.open--;
      const left = this.openBy.get(client)! - 1;
      if (left) this.openBy.set(client, left);
      else this.openBy.delete(client);
      unlisten();
      this.closers.delete(close);
      clearInterval(heartbeat);
      res.end();
    };
    // The server allows half-open sockets (hostile-transport.ts): a reader that leaves sends a
    // FIN, seen as the socket's 'end', and 'close' would wait for the next failed write.
    res.on('close', close);
    req.socket.once('end', close);
    this.closers.add(close);
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    try {
      for (;;) {
        handedDuringRead = false;
        const page = await this.events.after(cursor, PAGE, filter);
        for (const event of page) write(event);
        if (closed) return;
        // INVARIANT: every event the feed handed over before now was committed before it was
        // handed, so a read started after the handing has it; only one handed during the read
        // may be missing, and then the loop reads again. Going live is synchronous with the check.
        if (page.length < PAGE && !handedDuringRead) break;
        // 'drain' follows only a write that returned false (writableNeedDrain); waiting for it
        // on a merely non-empty buffer hung the stream until the reader left.
        if (res.writableNeedDrain)
          await new Promise((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
      }
      live = true;
    } catch {
      close();
    }
  }
}
