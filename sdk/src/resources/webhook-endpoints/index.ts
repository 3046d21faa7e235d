// /v1/webhook_endpoints: where the service POSTs a tenant's job events, each signed with the endpoint's secret
// (verify them with `client.webhooks.unwrap`).
import type { PagePromise } from "../../core/pagination.ts";
import type { RequestOptions } from "../../core/types.ts";
import { APIResource, seg } from "../../resource.ts";
import type {
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreateParams,
  WebhookEndpointDeleted,
  WebhookEndpointListParams,
  WebhookEndpointRotateSecretParams,
  WebhookEndpointUpdateParams,
} from "../../types.ts";
import { Deliveries } from "./deliveries.ts";

export class WebhookEndpoints extends APIResource {
  readonly deliveries = new Deliveries(this.client);

  /** The answer's `secret` (`whsec_…`) is shown only here and by `rotateSecret`: keep it. */
  create(params: WebhookEndpointCreateParams, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.client.request({
      method: "POST",
      path: "/webhook_endpoints",
      body: params,
      idempotent: true,
      options,
    });
  }

  /** Newest first. */
  list(params: WebhookEndpointListParams = {}, options?: RequestOptions): PagePromise<WebhookEndpoint> {
    return this.client.list("/webhook_endpoints", params, options);
  }

  retrieve(endpointId: string, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.client.request({ method: "GET", path: `/webhook_endpoints/${seg(endpointId)}`, options });
  }

  /** Enabling an endpoint the service disabled clears `disabled_reason` and `failing_since`. */
  update(
    endpointId: string,
    params: WebhookEndpointUpdateParams,
    options?: RequestOptions,
  ): Promise<WebhookEndpoint> {
    return this.client.request({
      method: "POST",
      path: `/webhook_endpoints/${seg(endpointId)}`,
      body: params,
      options,
    });
  }

  delete(endpointId: string, options?: RequestOptions): Promise<WebhookEndpointDeleted> {
    return this.client.request({ method: "DELETE", path: `/webhook_endpoints/${seg(endpointId)}`, options });
  }

  /**
   * A new secret, in this answer only. The old one keeps signing beside it for `overlap_seconds` (default
   * 24 h; 0 ends it now), so receivers can switch without missing an event.
   */
  rotateSecret(
    endpointId: string,
    params: WebhookEndpointRotateSecretParams = {},
    options?: RequestOptions,
  ): Promise<WebhookEndpoint> {
    return this.client.request({
      method: "POST",
      path: `/webhook_endpoints/${seg(endpointId)}/rotate_secret`,
      body: params,
      options,
    });
  }

  /** Schedules a `webhook_endpoint.test` event to this endpoint only; a ConflictError when it is disabled. */
  test(endpointId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.client.request({
      method: "POST",
      path: `/webhook_endpoints/${seg(endpointId)}/test`,
      options,
    });
  }
}
