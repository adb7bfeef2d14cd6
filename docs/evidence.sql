-- Evidence, not self-report: the metrics of docs/evidence.md in SQL, for
-- exports too large for one machine. The same definitions as
-- `maturity derive`; tests/evidence_sql.rs runs this file in DuckDB over
-- the test exports and requires the same metrics, value for value.
--
-- Inputs (rename a CRM's own columns and values in views first):
--   opportunities, stage_history, stages, team, forecasts, revenue
--       the export's files, every column text, named as the contract
--       names them; status and role already in the contract's values.
--       A file the export lacks is an empty table.
--   export_files(name)   one row per file the export has
--                        ('opportunities', 'stage_history', 'stages', ...)
--   params(as_of)        the as-of DATE: every window ends with it
-- Output: one row per metric the export shows: (metric, number, flag).
--
-- Dialect: DuckDB as written (SET TimeZone = 'UTC' first). Postgres reads
-- it with `CAST(x AS DOUBLE)` as DOUBLE PRECISION and FILTER as is; Spark
-- SQL with `count_if` for FILTER.

WITH
w AS (
    SELECT
        CAST(as_of + 1 AS TIMESTAMP) AS end_ts,
        CAST(as_of + 1 - 14 AS TIMESTAMP) AS d14,
        CAST(as_of + 1 - 30 AS TIMESTAMP) AS d30,
        CAST(CAST(as_of + 1 AS DATE) - INTERVAL '6 months' AS TIMESTAMP) AS q2,
        CAST(CAST(as_of + 1 AS DATE) - INTERVAL '12 months' AS TIMESTAMP) AS q4,
        CAST(CAST(as_of + 1 AS DATE) - INTERVAL '24 months' AS TIMESTAMP) AS m24,
        CAST(date_trunc('quarter', CAST(as_of + 1 AS DATE)) - INTERVAL '3 months' AS TIMESTAMP) AS lq_start,
        CAST(date_trunc('quarter', CAST(as_of + 1 AS DATE)) AS TIMESTAMP) AS lq_end,
        year(CAST(as_of + 1 AS DATE)) * 12 + month(CAST(as_of + 1 AS DATE)) - 2 AS last_month
    FROM params
),
has AS (
    SELECT
        bool_or(name = 'stage_history') AS history,
        bool_or(name = 'stages') AS stages,
        bool_or(name = 'team') AS team,
        bool_or(name = 'forecasts') AS forecasts,
        bool_or(name = 'revenue') AS revenue
    FROM export_files
),
-- Timestamps: a date is midnight UTC; offsets are applied; fractions of a
-- second are dropped.
opp AS (
    SELECT
        id,
        NULLIF(account_id, '') AS account_id,
        owner,
        lower(status) AS status,
        CASE WHEN lower(status) IN ('won', 'lost')
            THEN date_trunc('second', CAST(CAST(closed_at AS TIMESTAMPTZ) AS TIMESTAMP)) END AS closed_at,
        COALESCE(CAST(NULLIF(amount, '') AS DOUBLE), 0) AS amount,
        COALESCE(loss_reason, '') <> '' AS has_reason,
        lower(COALESCE(qualified, '')) IN ('true', 'yes', '1') AS qualified,
        date_trunc('second', CAST(CAST(last_modified_at AS TIMESTAMPTZ) AS TIMESTAMP)) AS modified_at
    FROM opportunities
),
closed4 AS (
    SELECT opp.* FROM opp, w WHERE closed_at >= w.q4 AND closed_at < w.end_ts
),
won4 AS (
    SELECT * FROM closed4 WHERE status = 'won'
),
hist AS (
    SELECT
        opportunity_id,
        stage,
        date_trunc('second', CAST(CAST(entered_at AS TIMESTAMPTZ) AS TIMESTAMP)) AS entered_at,
        CAST(date_trunc('second', CAST(CAST(recorded_at AS TIMESTAMPTZ) AS TIMESTAMP)) AS DATE) AS recorded_day
    FROM stage_history
),
stage_pos AS (
    SELECT stage, ROW_NUMBER() OVER (ORDER BY CAST("order" AS BIGINT)) - 1 AS pos FROM stages
),
sellers AS (
    SELECT seller FROM team, w
    WHERE lower(COALESCE(quota_carrying, '')) IN ('true', 'yes', '1')
      AND (COALESCE(started_at, '') = ''
           OR CAST(CAST(started_at AS TIMESTAMPTZ) AS TIMESTAMP) < w.end_ts)
),
first_entry AS (
    SELECT h.opportunity_id, s.pos, min(h.entered_at) AS first_at
    FROM hist h JOIN stage_pos s ON h.stage = s.stage
    WHERE h.opportunity_id IN (SELECT id FROM closed4)
    GROUP BY h.opportunity_id, s.pos
),
walked AS (
    SELECT opportunity_id,
           max(pos) AS furthest,
           count(*) AS entered,
           bool_and(previous IS NULL OR previous <= first_at) AS in_order
    FROM (SELECT *, lag(first_at) OVER (PARTITION BY opportunity_id ORDER BY pos) AS previous
          FROM first_entry) f
    GROUP BY opportunity_id
),
owner_won AS (
    SELECT owner, sum(amount) AS amount FROM won4 GROUP BY owner
),
quarter_snapshots AS (
    SELECT date_trunc('second', CAST(CAST(f.snapshot_at AS TIMESTAMPTZ) AS TIMESTAMP)) AS taken_at,
           CAST(f.amount AS DOUBLE) AS amount
    FROM forecasts f, w
    WHERE make_date(CAST(substr(f.quarter, 1, 4) AS INTEGER),
                    (CAST(substr(f.quarter, 7, 1) AS INTEGER) - 1) * 3 + 1, 1) = CAST(w.lq_start AS DATE)
      AND CAST(CAST(f.snapshot_at AS TIMESTAMPTZ) AS TIMESTAMP) < w.end_ts
),
forecast AS (
    SELECT
        (SELECT amount FROM quarter_snapshots, w WHERE taken_at < w.lq_start ORDER BY taken_at DESC LIMIT 1) AS before_start,
        (SELECT sum(amount) FROM opp, w WHERE status = 'won' AND closed_at >= w.lq_start AND closed_at < w.lq_end) AS actual,
        (SELECT amount FROM quarter_snapshots ORDER BY taken_at DESC LIMIT 1) AS last_amount,
        (SELECT count(*) FROM quarter_snapshots) AS snapshots,
        (SELECT avg(abs(amount - previous)) FROM
            (SELECT amount, lag(amount) OVER (ORDER BY taken_at) AS previous FROM quarter_snapshots) s
         WHERE previous IS NOT NULL) AS mean_change
),
account_wins AS (
    SELECT account_id, count(*) AS wins FROM opp, w
    WHERE status = 'won' AND account_id IS NOT NULL AND closed_at >= w.m24 AND closed_at < w.end_ts
    GROUP BY account_id
),
first_won AS (
    SELECT account_id, min(closed_at) AS first_at FROM opp
    WHERE status = 'won' AND account_id IS NOT NULL GROUP BY account_id
),
monthly AS (
    SELECT account_id,
           CAST(substr(month, 1, 4) AS INTEGER) * 12 + CAST(substr(month, 6, 2) AS INTEGER) - 1 AS m,
           CAST(recurring_revenue AS DOUBLE) AS amount
    FROM revenue
),
retained AS (
    SELECT
        sum(CASE WHEN m = w.last_month - 12 THEN amount ELSE 0 END) AS base,
        sum(CASE WHEN m = w.last_month THEN amount ELSE 0 END) AS now
    FROM monthly, w
    WHERE m IN (w.last_month - 12, w.last_month)
    GROUP BY account_id
),
metrics AS (
    SELECT 'crm_in_place' AS metric, CAST(NULL AS DOUBLE) AS number, TRUE AS flag
    UNION ALL
    SELECT 'crm_freshness', count(*) FILTER (WHERE modified_at >= w.d14 AND modified_at < w.end_ts) / CAST(count(*) AS DOUBLE), NULL
    FROM opp, w WHERE status = 'open' HAVING count(*) > 0
    UNION ALL
    SELECT 'crm_adoption',
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM opp
               WHERE opp.owner = sellers.seller AND opp.modified_at >= w.d30 AND opp.modified_at < w.end_ts)) / CAST(count(*) AS DOUBLE),
           NULL
    FROM sellers, w HAVING count(*) > 0
    UNION ALL
    SELECT 'crm_backfill_rate',
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM hist
               WHERE hist.opportunity_id = closed4.id AND hist.recorded_day > CAST(closed4.closed_at AS DATE))) / CAST(count(*) AS DOUBLE),
           NULL
    FROM closed4, has WHERE has.history GROUP BY has.history HAVING count(*) > 0
    UNION ALL
    SELECT 'win_rate', count(*) FILTER (WHERE status = 'won') / CAST(count(*) AS DOUBLE), NULL
    FROM closed4 HAVING count(*) > 0
    UNION ALL
    SELECT 'loss_reason_coverage', count(*) FILTER (WHERE has_reason) / CAST(count(*) AS DOUBLE), NULL
    FROM closed4 WHERE status = 'lost' HAVING count(*) > 0
    UNION ALL
    SELECT 'qualification_coverage', count(*) FILTER (WHERE qualified) / CAST(count(*) AS DOUBLE), NULL
    FROM opp WHERE status = 'open' HAVING count(*) > 0
    UNION ALL
    SELECT 'stages_defined', (SELECT count(*) FROM stages), NULL FROM has WHERE has.stages
    UNION ALL
    SELECT 'stage_probabilities_defined', NULL,
           (SELECT count(*) > 0 AND count(*) FILTER (WHERE COALESCE(probability, '') <> '') = count(*) FROM stages)
    FROM has WHERE has.stages
    UNION ALL
    SELECT 'stage_gates_defined', NULL,
           (SELECT count(*) > 0 AND count(*) FILTER (WHERE COALESCE(exit_criteria, '') <> '') = count(*) FROM stages)
    FROM has WHERE has.stages
    UNION ALL
    SELECT 'process_adherence',
           count(*) FILTER (WHERE walked.entered = walked.furthest + 1 AND walked.in_order) / CAST(count(*) AS DOUBLE),
           NULL
    FROM closed4 LEFT JOIN walked ON walked.opportunity_id = closed4.id, has
    WHERE has.history AND (SELECT count(*) FROM stages) > 0
    GROUP BY has.history HAVING count(*) > 0
    UNION ALL
    SELECT 'sales_reps', (SELECT count(*) FROM sellers), NULL FROM has WHERE has.team
    UNION ALL
    SELECT 'closing_reps', count(DISTINCT owner), NULL
    FROM opp, w WHERE status = 'won' AND closed_at >= w.q2 AND closed_at < w.end_ts
    UNION ALL
    SELECT 'top2_rep_share_of_wins',
           (SELECT sum(amount) FROM (SELECT amount FROM owner_won ORDER BY amount DESC LIMIT 2) t)
               / (SELECT sum(amount) FROM owner_won),
           NULL
    WHERE (SELECT sum(amount) FROM owner_won) > 0
    UNION ALL
    SELECT 'founder_share_of_deals',
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM team
               WHERE team.seller = won4.owner AND lower(team.role) IN ('founder', 'executive'))) / CAST(count(*) AS DOUBLE),
           NULL
    FROM won4, has WHERE has.team GROUP BY has.team HAVING count(*) > 0
    UNION ALL
    SELECT 'forecast_accuracy',
           greatest(0.0, least(1.0, 1 - abs(COALESCE(actual, 0) - before_start) / before_start)), NULL
    FROM forecast, has WHERE has.forecasts AND before_start > 0
    UNION ALL
    SELECT 'forecast_volatility', least(1.0, mean_change / last_amount), NULL
    FROM forecast, has WHERE has.forecasts AND snapshots >= 2 AND last_amount > 0
    UNION ALL
    SELECT 'repeat_customer_rate', count(*) FILTER (WHERE wins >= 2) / CAST(count(*) AS DOUBLE), NULL
    FROM account_wins HAVING count(*) > 0
    UNION ALL
    SELECT 'expansion_revenue_share',
           sum(CASE WHEN won4.closed_at > first_won.first_at THEN won4.amount ELSE 0 END) / sum(won4.amount),
           NULL
    FROM won4 LEFT JOIN first_won ON first_won.account_id = won4.account_id
    HAVING sum(won4.amount) > 0
    UNION ALL
    SELECT 'net_revenue_retention', least(5.0, sum(now) / sum(base)), NULL
    FROM retained, has WHERE has.revenue AND base > 0 GROUP BY has.revenue HAVING sum(base) > 0
    UNION ALL
    SELECT 'gross_churn_rate', least(1.0, sum(greatest(base - now, 0)) / sum(base)), NULL
    FROM retained, has WHERE has.revenue AND base > 0 GROUP BY has.revenue HAVING sum(base) > 0
    UNION ALL
    SELECT 'recurring_revenue', NULL, year_total >= 0.5 * won_amount
    FROM (SELECT
            (SELECT COALESCE(sum(amount), 0) FROM monthly, w WHERE m > w.last_month - 12 AND m <= w.last_month) AS year_total,
            (SELECT COALESCE(sum(amount), 0) FROM won4) AS won_amount) t, has
    WHERE has.revenue AND (year_total > 0 OR won_amount > 0)
)
SELECT metric, number, flag FROM metrics ORDER BY metric;
