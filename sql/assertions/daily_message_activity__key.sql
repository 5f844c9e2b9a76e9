-- Keys of daily_message_activity are present and unique at its grain (activity_date, action_type, destination, message_status).
select activity_date, action_type, destination, message_status, count(*) as count_rows
from daily_message_activity
group by activity_date, action_type, destination, message_status
having count(*) > 1 or activity_date is null or action_type is null or destination is null or message_status is null
