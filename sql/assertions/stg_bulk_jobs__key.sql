-- Keys of stg_bulk_jobs are present and unique at its grain (job_id).
select job_id, count(*) as count_rows
from stg_bulk_jobs
group by job_id
having count(*) > 1 or job_id is null
