-- Keys of stg_bulk_job_messages are present and unique at its grain (job_id, message_id).
-- incremental: job_id
select job_id, message_id, count(*) as count_rows
from stg_bulk_job_messages
group by job_id, message_id
having count(*) > 1 or job_id is null or message_id is null
