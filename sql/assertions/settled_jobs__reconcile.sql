-- A settled job's loaded messages agree with the API's counters: otherwise rows were lost,
-- duplicated or left stale.
select job_id, job_status, diff_total, diff_successful, diff_failed, diff_skipped,
    diff_cancelled, diff_pending
from job_reconciliation
where reconciliation_status = 'inconsistent'
