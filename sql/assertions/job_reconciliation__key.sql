-- Keys of job_reconciliation are present and unique at its grain (job_id).
select job_id, count(*) as count_rows
from job_reconciliation
group by job_id
having count(*) > 1 or job_id is null
