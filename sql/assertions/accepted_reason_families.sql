-- Reason families are the shipped ones. A family your own mapping brings
-- ([cf_bulk_sync.reason_families] or reason_families_file) is kept and counted; this check
-- names it, so that a typo in a mapping is seen. A warning: the data is complete.
-- severity: warn
select reason_family, count(*) as count_messages
from stg_bulk_job_messages
where reason_family not in (
    'permission/auth', 'throttling/quota', 'not found', 'already done or duplicate',
    'excluded by policy', 'provider error', 'other'
)
group by reason_family
