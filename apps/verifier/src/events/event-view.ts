import type { EventEntity } from '@verilay/storage';

/**
 * An event as the stream and webhooks send it. `id` is the outbox id (decimal string): the
 * stream's `Last-Event-ID` and every delivery's `webhook-id`, the same on each retry.
 */
export function eventView(event: EventEntity) {
  return {
    id: String(event.id),
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: {
      claimId: event.claimId,
      operator: event.operator,
      modelId: event.modelId,
      status: event.status,
      batchId: event.batchId,
      reason: event.reason,
      ...(event.data ? (JSON.parse(event.data) as Record<string, unknown>) : {}),
    },
  };
}

export type EventView = ReturnType<typeof eventView>;
