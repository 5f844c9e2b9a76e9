-- Mart: one row per job and observation (job_id, observed_at): how a job advanced from one
-- sync run to the next, for progress charts. processed_rate is the share of discovered
-- messages no longer pending (0..1).
-- incremental: job_id
with

snapshots as (
    select * from stg_bulk_job_snapshots
),

jobs as (
    select * from stg_bulk_jobs
),

measured as (
    select
        snapshots.*,
        coalesce(snapshots.api_count_discovered, 0) - coalesce(snapshots.api_count_pending, 0)
            as count_processed
    from snapshots
),

final as (
    select
        measured.job_id,
        measured.account_id,
        jobs.action_type,
        jobs.destination,
        measured.observed_at,
        measured.job_status,
        measured.api_count_discovered as count_discovered,
        measured.api_count_pending as count_pending,
        measured.api_count_successful as count_successful,
        measured.api_count_failed as count_failed,
        measured.api_count_skipped as count_skipped,
        measured.api_count_cancelled as count_cancelled,
        measured.count_processed,
        case
            when measured.api_count_discovered > 0
                then cast(
                    1.0 * measured.count_processed / measured.api_count_discovered
                    as decimal(9, 4)
                )
        end as processed_rate,
        measured.count_processed - coalesce(
            lag(measured.count_processed) over (
                partition by measured.job_id order by measured.observed_at
            ),
            0
        ) as count_processed_since_previous
    from measured
    left join jobs
        on jobs.job_id = measured.job_id
)

select * from final
