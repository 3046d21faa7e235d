-- Every statement that writes outbox rows wakes the webhook dispatchers at commit (NOTIFY on the channel
-- WEBHOOKS_CHANNEL in db/webhooks/sql.ts); polling is their fallback.
CREATE FUNCTION "webhook_outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('grades_webhooks', '');
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "webhook_outbox_notify" AFTER INSERT ON "webhook_outbox"
FOR EACH STATEMENT EXECUTE FUNCTION "webhook_outbox_notify"();
