-- Per job, the counts per status add up to the job's total.
select job_id, count_messages, count_pending, count_discovering, count_processing,
    count_completed, count_failed, count_cancelled, count_skipped, count_other
from job_status_counts
where count_pending + count_discovering + count_processing + count_completed + count_failed
    + count_cancelled + count_skipped + count_other <> count_messages
