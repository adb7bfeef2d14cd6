//! The export's contract: its files and their columns, as docs/evidence.md
//! documents them.

/// One file of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileSpec {
    /// The key a mapping file names it by, e.g. `opportunities`.
    pub(crate) key: &'static str,
    /// Its columns in the contract's order.
    pub(crate) columns: &'static [&'static str],
    /// Columns a mapping may not declare absent: without them the file
    /// means nothing.
    pub(crate) keys: &'static [&'static str],
}

impl FileSpec {
    /// The file's default name, e.g. `opportunities.csv`.
    pub(crate) fn default_name(&self) -> String {
        format!("{}.csv", self.key)
    }
}

/// `opportunities.csv`, the one required file.
pub(crate) const OPPORTUNITIES: FileSpec = FileSpec {
    key: "opportunities",
    columns: &[
        "id",
        "account_id",
        "owner",
        "created_at",
        "closed_at",
        "status",
        "stage",
        "amount",
        "loss_reason",
        "qualified",
        "last_modified_at",
    ],
    keys: &["id", "owner", "status", "closed_at"],
};

/// `stage_history.csv`: when each deal entered each stage.
pub(crate) const STAGE_HISTORY: FileSpec = FileSpec {
    key: "stage_history",
    columns: &["opportunity_id", "stage", "entered_at", "recorded_at"],
    keys: &["opportunity_id", "stage", "entered_at"],
};

/// `stages.csv`: the documented pipeline.
pub(crate) const STAGES: FileSpec = FileSpec {
    key: "stages",
    columns: &["stage", "order", "probability", "exit_criteria"],
    keys: &["stage", "order"],
};

/// `team.csv`: who sells.
pub(crate) const TEAM: FileSpec = FileSpec {
    key: "team",
    columns: &["seller", "role", "started_at", "quota_carrying"],
    keys: &["seller"],
};

/// `forecasts.csv`: each quarter's forecast as it stood at each snapshot.
pub(crate) const FORECASTS: FileSpec = FileSpec {
    key: "forecasts",
    columns: &["quarter", "snapshot_at", "amount"],
    keys: &["quarter", "snapshot_at", "amount"],
};

/// `revenue.csv`: recurring revenue per account and month.
pub(crate) const REVENUE: FileSpec = FileSpec {
    key: "revenue",
    columns: &["account_id", "month", "recurring_revenue"],
    keys: &["account_id", "month", "recurring_revenue"],
};

/// Every file of the export.
pub(crate) const FILES: [FileSpec; 6] = [
    OPPORTUNITIES,
    STAGE_HISTORY,
    STAGES,
    TEAM,
    FORECASTS,
    REVENUE,
];

/// The values `status` takes.
pub(crate) const STATUSES: [&str; 3] = ["open", "won", "lost"];

/// The values `role` takes.
pub(crate) const ROLES: [&str; 4] = ["seller", "leader", "founder", "executive"];
