-- Keys of job_daily_activity are present and unique at its grain (job_id, activity_date, action_type, destination, message_status).
select job_id, activity_date, action_type, destination, message_status, count(*) as count_rows
from job_daily_activity
group by job_id, activity_date, action_type, destination, message_status
having count(*) > 1 or job_id is null or activity_date is null or action_type is null or destination is null or message_status is null
