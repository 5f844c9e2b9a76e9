-- Keys of job_progress are present and unique at its grain (job_id, observed_at).
select job_id, observed_at, count(*) as count_rows
from job_progress
group by job_id, observed_at
having count(*) > 1 or job_id is null or observed_at is null
