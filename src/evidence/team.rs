//! `team.csv`, who sells: `sales_reps`, and the roles and quotas that
//! adoption and founder dependence are measured against.

use std::collections::HashMap;

use super::EvidenceError;
use super::contract::{ROLES, TEAM};
use super::export::Export;
use super::mapping::{Mapping, map_value};
use super::provenance::{Evidence, from};
use super::table::Table;
use super::window::Windows;
use crate::engine::MetricValue;

/// What the export says about one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    /// Whether they are a founder or an executive; `None` without roles.
    pub(crate) founder_or_executive: Option<bool>,
    /// Whether they carry a quota and had started by the as-of day; `None`
    /// without quotas.
    pub(crate) quota_carrying: Option<bool>,
}

/// Everyone in team.csv, by the name opportunities give as their owner.
#[derive(Debug, Clone, Default)]
pub(crate) struct Team {
    pub(crate) members: HashMap<String, Member>,
    /// Whether team.csv has roles.
    pub(crate) has_roles: bool,
    /// Whether team.csv has quotas.
    pub(crate) has_quotas: bool,
    /// The file's name in the export.
    pub(crate) file: String,
}

impl Team {
    /// The quota-carrying sellers.
    pub(crate) fn quota_carrying(&self) -> impl Iterator<Item = &str> {
        self.members
            .iter()
            .filter(|(_, m)| m.quota_carrying == Some(true))
            .map(|(name, _)| name.as_str())
    }
}

/// Reads the team and derives `sales_reps`; `None` without team.csv.
pub(crate) fn read(
    export: &Export,
    mapping: &Mapping,
    windows: &Windows,
    ev: &mut Evidence,
) -> Result<Option<Team>, EvidenceError> {
    let Some(table) = Table::open(export, TEAM, mapping)? else {
        ev.unknown("sales_reps", "the export has no team.csv");
        return Ok(None);
    };
    let mut team = Team {
        file: table.file().to_owned(),
        ..Team::default()
    };
    let (seller, role) = (table.column("seller"), table.column("role"));
    let (started, quota) = (table.column("started_at"), table.column("quota_carrying"));
    (team.has_roles, team.has_quotas) = (role.present(), quota.present());
    let end = windows.days14.end;
    let members = &mut team.members;
    table.for_each(|row| {
        let name = row.required(&seller)?;
        let founder_or_executive = match row.text(&role)? {
            None => None,
            Some(text) => match map_value(text, &mapping.values.role, &ROLES) {
                Some(r) => Some(r == "founder" || r == "executive"),
                None => {
                    let rule = "is not a role (seller, leader, founder, executive): map it under [values.role]";
                    return Err(row.problem(&role, text, rule));
                }
            },
        };
        let started_by_then = row.instant(&started)?.is_none_or(|t| t < end);
        let carries = row.flag(&quota)?.map(|q| q && started_by_then);
        let member = Member {
            founder_or_executive,
            quota_carrying: carries.or(quota.present().then_some(false)),
        };
        if members.insert(name.to_owned(), member).is_some() {
            return Err(row.problem(&seller, name, "is listed twice"));
        }
        Ok(())
    })?;
    if team.has_quotas {
        let n = team.quota_carrying().count() as u64;
        let formula = "people with quota_carrying true who started by the as-of day";
        let mut p = from(
            &[&team.file],
            team.members.len() as u64,
            String::new(),
            formula,
        );
        p.computed = n.to_string();
        ev.set("sales_reps", MetricValue::Number(n as f64), p);
    } else {
        ev.unknown("sales_reps", "team.csv has no quota_carrying column");
    }
    Ok(Some(team))
}
