-- Keys of job_failure_reasons are present and unique at its grain (job_id, message_status, failure_reason).
select job_id, message_status, failure_reason, count(*) as count_rows
from job_failure_reasons
group by job_id, message_status, failure_reason
having count(*) > 1 or job_id is null or message_status is null or failure_reason is null
