-- Jobs, schedules, e-mail outbox: what the runner, the scheduler and the
-- outbox drain need beyond the foundation tables.

-- Job lists filter by status or kind and page by id.
CREATE INDEX jobs_status_id ON jobs(status, id);
CREATE INDEX jobs_kind_id ON jobs(kind, id);
-- Purging finished jobs.
CREATE INDEX jobs_finished ON jobs(finished_at);

-- The outbox drain claims rows for a while (so two drains never send the
-- same message) and retries a failed send later.
ALTER TABLE email_outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE email_outbox ADD COLUMN claimed_until BIGINT;

CREATE INDEX nodes_heartbeat ON nodes(heartbeat_at);
