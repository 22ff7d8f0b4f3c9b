import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { RequireScope } from '../http/api-key.guard';
import { CreateWebhookDto, DeliveriesQueryDto } from './webhook.dto';
import { CreatedWebhookDto, DeliveryListDto, WebhookListDto, WebhookViewDto } from './webhook-view.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: no API key, or not a valid one' })
@ApiForbiddenResponse({ description: 'INSUFFICIENT_SCOPE: the key lacks webhooks:write' })
@RequireScope('webhooks:write')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Subscribe to claim events (filter by types, operator, model); deliveries are signed (Standard Webhooks) with the secret returned here, once',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto, description: 'The subscription with its secret (whsec_…)' })
  @ApiUnprocessableEntityResponse({
    description: 'WEBHOOK_URL_REFUSED: not http(s), credentials in it, or a non-public address',
  })
  @ApiConflictResponse({ description: 'TOO_MANY_WEBHOOKS: 100 are active' })
  create(@Body() body: CreateWebhookDto) {
    return this.webhooks.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'Every subscription, with its delivery counts (no secrets)' })
  @ApiOkResponse({ type: WebhookListDto })
  async list() {
    return { webhooks: await this.webhooks.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One subscription and its delivery counts' })
  @ApiOkResponse({ type: WebhookViewDto, description: 'The subscription' })
  @ApiNotFoundResponse({ description: 'WEBHOOK_NOT_FOUND' })
  get(@Param('id', ParseIntPipe) id: number) {
    return this.webhooks.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop a subscription: no new deliveries; pending ones are marked failed' })
  @ApiNoContentResponse({ description: 'Stopped' })
  @ApiNotFoundResponse({ description: 'WEBHOOK_NOT_FOUND' })
  async remove(@Param('id', ParseIntPipe) id: number): Promise<void> {
    await this.webhooks.remove(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary:
      "A subscription's deliveries, newest first: status (pending, delivered, failed), attempts, last answer or error, next attempt",
  })
  @ApiOkResponse({ type: DeliveryListDto })
  @ApiNotFoundResponse({ description: 'WEBHOOK_NOT_FOUND' })
  deliveries(@Param('id', ParseIntPipe) id: number, @Query() query: DeliveriesQueryDto) {
    return this.webhooks.deliveries(id, query);
  }
}
