-- Keys of failure_reasons are present and unique at its grain (message_status, failure_reason).
select message_status, failure_reason, count(*) as count_rows
from failure_reasons
group by message_status, failure_reason
having count(*) > 1 or message_status is null or failure_reason is null
