import type { PagePromise } from "../../core/pagination.ts";
import type { RequestOptions } from "../../core/types.ts";
import { APIResource, seg } from "../../resource.ts";
import type { WebhookDelivery, WebhookDeliveryAttempt, WebhookDeliveryListParams } from "../../types.ts";

/** /v1/webhook_endpoints/{id}/deliveries: the delivery log, and sending a settled delivery again. */
export class Deliveries extends APIResource {
  /** One entry per HTTP attempt, newest first. */
  list(
    endpointId: string,
    params: WebhookDeliveryListParams = {},
    options?: RequestOptions,
  ): PagePromise<WebhookDeliveryAttempt> {
    return this.client.list(`/webhook_endpoints/${seg(endpointId)}/deliveries`, params, options);
  }

  /**
   * Sends a succeeded or failed delivery again, with the same event id (`webhook-id`) and a fresh retry
   * schedule. A ConflictError while it is still scheduled.
   */
  redeliver(endpointId: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.client.request({
      method: "POST",
      path: `/webhook_endpoints/${seg(endpointId)}/deliveries/${seg(deliveryId)}/redeliver`,
      options,
    });
  }
}
