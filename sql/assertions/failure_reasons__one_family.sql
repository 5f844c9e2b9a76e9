-- Each failure reason has one family across statuses: the family is derived from the reason
-- alone, so two would mean texts derived under different mappings were mixed.
select failure_reason, count(distinct reason_family) as count_families
from failure_reasons
group by failure_reason
having count(distinct reason_family) > 1
