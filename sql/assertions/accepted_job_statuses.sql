-- Job statuses are ones the API documents.
select job_id, job_status
from stg_bulk_jobs
where job_status is null
    or job_status not in ('PENDING', 'DISCOVERING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED')
