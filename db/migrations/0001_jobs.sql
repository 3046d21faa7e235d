CREATE TABLE "fine_tuning_checkpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"step" integer NOT NULL,
	"storage_prefix" text NOT NULL,
	"metrics" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fine_tuning_job_events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fine_tuning_job_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" text NOT NULL,
	"job_id" text NOT NULL,
	"level" text DEFAULT 'info' NOT NULL,
	"type" text DEFAULT 'message' NOT NULL,
	"message" text NOT NULL,
	"data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fine_tuning_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"status" text NOT NULL,
	"model" text NOT NULL,
	"training_file" text NOT NULL,
	"validation_file" text,
	"suffix" text,
	"seed" integer NOT NULL,
	"metadata" jsonb,
	"config" jsonb NOT NULL,
	"fine_tuned_model" text,
	"trained_tokens" integer,
	"result_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" jsonb,
	"estimated_finish" timestamp with time zone,
	"backend" text,
	"progress" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"locked_by" text,
	"locked_until" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"pause_requested" boolean DEFAULT false NOT NULL,
	"last_error" text,
	CONSTRAINT "fine_tuning_jobs_status_check" CHECK ("fine_tuning_jobs"."status" in ('validating_files', 'queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "webhook_outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "fine_tuning_checkpoints" ADD CONSTRAINT "fine_tuning_checkpoints_job_id_fine_tuning_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."fine_tuning_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fine_tuning_job_events" ADD CONSTRAINT "fine_tuning_job_events_job_id_fine_tuning_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."fine_tuning_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fine_tuning_jobs" ADD CONSTRAINT "fine_tuning_jobs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_outbox" ADD CONSTRAINT "webhook_outbox_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "fine_tuning_checkpoints_job_step_idx" ON "fine_tuning_checkpoints" USING btree ("job_id","step");--> statement-breakpoint
CREATE UNIQUE INDEX "fine_tuning_job_events_id_idx" ON "fine_tuning_job_events" USING btree ("id");--> statement-breakpoint
CREATE INDEX "fine_tuning_job_events_job_idx" ON "fine_tuning_job_events" USING btree ("job_id","seq");--> statement-breakpoint
CREATE INDEX "fine_tuning_jobs_claim_idx" ON "fine_tuning_jobs" USING btree ("run_at","created_at") WHERE status = 'queued';--> statement-breakpoint
CREATE INDEX "fine_tuning_jobs_running_idx" ON "fine_tuning_jobs" USING btree ("tenant_id","locked_until") WHERE status = 'running';--> statement-breakpoint
CREATE INDEX "fine_tuning_jobs_tenant_list_idx" ON "fine_tuning_jobs" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_outbox_pending_idx" ON "webhook_outbox" USING btree ("next_attempt_at") WHERE delivered_at is null;