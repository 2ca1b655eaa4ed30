## Background jobs and outgoing e-mail

jobs-all = All
jobs-kind = Kind
jobs-queue-lag = Queue lag
jobs-progress = Progress
jobs-attempts = Attempts
jobs-run-at = Due at
jobs-created = Created
jobs-started = Started
jobs-finished = Finished
jobs-worker = Worker
jobs-lease-until = Lease until
jobs-error = Last error
jobs-payload = Payload
jobs-retry-now = Retry now
confirm-retry-job = Put this job back in the queue now, with a fresh set of attempts?
job-status-queued = Queued
job-status-running = Running
job-status-succeeded = Succeeded
job-status-failed = Failed, will retry
job-status-dead = Dead
flash-job-retried = The job is back in the queue.
flash-refused-job-not-retryable = Only failed or dead jobs can be retried.
refused-job-not-retryable = Only failed or dead jobs can be retried.

email-test-title = Send a test e-mail
email-test-intro = Save the settings first. The message goes through the outbox like every other e-mail; its result shows below within a minute.
email-test-to = Recipient
email-test-send = Send test e-mail
email-outbox-title = Recent outgoing e-mail
email-outbox-none = No e-mail sent yet.
email-outbox-to = To
email-outbox-subject = Subject
email-status-pending = Waiting
email-status-sent = Sent
email-status-failed = Failed
flash-test-email-queued = Test e-mail queued. Its result appears in the list below.
flash-test-email-bad-address = Enter a valid e-mail address for the test.
flash-refused-email-not-configured = Set the SMTP server and the sender address first.
refused-email-not-configured = Set the SMTP server and the sender address first.

dash-nodes = Nodes
dash-node = Node
dash-cpu = CPU
dash-memory = Memory
dash-disk = Disk (data)
dash-process = Lastmile memory
dash-heartbeat = Last heartbeat
dash-node-stale = not responding
dash-no-nodes = No node has reported yet.
dash-jobs-running = { $count } running
dash-jobs-queued = { $count } queued
dash-jobs-failing = { $count ->
    [one] one failed job
   *[other] { $count } failed jobs
}
