//! One row of `opportunities.csv`, parsed and checked: what every metric
//! family is fed.

use super::contract::STATUSES;
use super::error::Problem;
use super::mapping::{Mapping, map_value};
use super::table::{Column, Row, Table};

/// Where an opportunity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Open,
    Won,
    Lost,
}

/// One opportunity, borrowed from its row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opp<'r> {
    pub(crate) id: &'r str,
    /// `None` when the account is empty or the column absent.
    pub(crate) account: Option<&'r str>,
    pub(crate) owner: &'r str,
    pub(crate) status: Status,
    /// When it was won or lost; `None` while open.
    pub(crate) closed_at: Option<i64>,
    /// The amount; an empty amount counts as 0.
    pub(crate) amount: f64,
    /// Whether a loss reason is given; `None` when the column is absent.
    pub(crate) has_loss_reason: Option<bool>,
    /// Whether it is qualified (empty is false); `None` when absent.
    pub(crate) qualified: Option<bool>,
    /// When it was last modified; `None` when the column is absent.
    pub(crate) modified_at: Option<i64>,
}

/// The columns of opportunities.csv, resolved once per file.
#[derive(Debug)]
pub(crate) struct Columns {
    id: Column,
    account: Column,
    owner: Column,
    created: Column,
    closed: Column,
    status: Column,
    amount: Column,
    loss_reason: Column,
    qualified: Column,
    modified: Column,
}

/// Which optional inputs the export has.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Have {
    pub(crate) account: bool,
    pub(crate) amount: bool,
    pub(crate) loss_reason: bool,
    pub(crate) qualified: bool,
    pub(crate) modified: bool,
}

impl Columns {
    /// The columns of `table`.
    pub(crate) fn of(table: &Table<'_>) -> Self {
        Self {
            id: table.column("id"),
            account: table.column("account_id"),
            owner: table.column("owner"),
            created: table.column("created_at"),
            closed: table.column("closed_at"),
            status: table.column("status"),
            amount: table.column("amount"),
            loss_reason: table.column("loss_reason"),
            qualified: table.column("qualified"),
            modified: table.column("last_modified_at"),
        }
    }

    /// The id column, for problems found after parsing.
    pub(crate) fn id_column(&self) -> Column {
        self.id.clone()
    }

    /// Which optional inputs are there.
    pub(crate) fn have(&self) -> Have {
        Have {
            account: self.account.present(),
            amount: self.amount.present(),
            loss_reason: self.loss_reason.present(),
            qualified: self.qualified.present(),
            modified: self.modified.present(),
        }
    }

    /// The opportunity on `row`, or what is wrong with it.
    pub(crate) fn parse<'r>(&self, row: &Row<'r>, mapping: &Mapping) -> Result<Opp<'r>, Problem> {
        let status = self.status(row, mapping)?;
        // Checked for the form only: no metric reads the creation date.
        row.instant(&self.created)?;
        let closed = row.instant(&self.closed)?;
        let closed_at = match status {
            // An open opportunity's close date (Salesforce's and HubSpot's
            // expected close) is not a close.
            Status::Open => None,
            Status::Won | Status::Lost => Some(closed.ok_or_else(|| {
                row.problem(&self.closed, "", "is empty, but the opportunity is closed")
            })?),
        };
        let modified_at = match self.modified.present() {
            true => Some(row.required_instant(&self.modified)?),
            false => None,
        };
        Ok(Opp {
            id: row.required(&self.id)?,
            account: row.text(&self.account)?.filter(|a| !a.is_empty()),
            owner: row.required(&self.owner)?,
            status,
            closed_at,
            amount: row.amount(&self.amount)?.unwrap_or(0.0),
            has_loss_reason: row.text(&self.loss_reason)?.map(|r| !r.is_empty()),
            qualified: match self.qualified.present() {
                true => Some(row.flag(&self.qualified)?.unwrap_or(false)),
                false => None,
            },
            modified_at,
        })
    }

    fn status(&self, row: &Row<'_>, mapping: &Mapping) -> Result<Status, Problem> {
        let text = row.required(&self.status)?;
        match map_value(text, &mapping.values.status, &STATUSES) {
            Some("won") => Ok(Status::Won),
            Some("lost") => Ok(Status::Lost),
            Some(_) => Ok(Status::Open),
            None => Err(row.problem(
                &self.status,
                text,
                "is not a status (open, won, lost): map it under [values.status]",
            )),
        }
    }
}
